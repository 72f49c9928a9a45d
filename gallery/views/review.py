"""The review view: one listing with search and filters for "mine", each team and each board.

A scope is what the user may see there; the filters live in the query string, so a view is
bookmarkable and the back button works. The same partial (_review_results.html) serves the full
page, the HTMX answer to the filter form, the "Load more" link and a team gallery's live poll.

Pages are keyset pages: "Load more" asks for what comes after the last row's (created_at, id),
or (added_at, id) on a board, which the history, team and board indexes find directly, instead
of an OFFSET that reads every skipped row. No COUNT(*) either: one row more than a page tells
whether there is more. The live poll asks the same way for what is newer than the newest card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from ..forms import ReviewFilterForm
from ..models import Board, Generation, GenerationQuerySet, Team
from ..models.keyset import KeysetQuerySet
from ..permissions import boards_to_change, get_team_for_user

PAGE_SIZE = 24
RESULTS_ID = "review-results"  # the element the filter form's HTMX answer replaces


@dataclass
class Scope:
    """What one review view lists, and the filters that make sense there."""

    generations: GenerationQuerySet  # already limited to what the user may see
    empty_text: str  # when nothing is there at all, not even before filtering
    authors: QuerySet | None = None  # the people offered by the author filter, if any
    reviews: bool = False  # whether the team's review marks can be filtered on
    live: bool = False  # whether the page polls for cards others make while it is open
    # A board lists its own images (of the generations that match), not whole generations.
    board: Board | None = None
    can_change_board: bool = False  # whether its images show a "Remove"

    def filter_form(self, data: QueryDict) -> ReviewFilterForm:
        return ReviewFilterForm(data, authors=self.authors, reviews=self.reviews)

    def listing(self, matching: GenerationQuerySet, user) -> KeysetQuerySet:
        """The rows the page shows for the generations that match: their cards, or on a board
        its images of them."""
        if self.board is None:
            return matching.for_cards(user)
        items = self.board.items.filter(image__generation__in=matching)
        return items.select_related("image__generation")


def members_of(team: Team) -> QuerySet:
    """The author filter's choices in a team's scopes: everyone in the team."""
    return get_user_model().objects.filter(memberships__team=team).order_by("username")


def mine(request: HttpRequest) -> Scope:
    return Scope(
        Generation.objects.visible_to(request.user).filter(owner=request.user),
        empty_text="Nothing yet: write a prompt and press Generate.",
    )


def review(
    request: HttpRequest,
    scope: Scope,
    template: str,
    page_context: Callable[[], dict] = dict,
) -> HttpResponse:
    """The full page, or only its results for an HTMX request; `page_context` is what the rest
    of the page needs, called only when the full page is rendered."""
    filters = scope.filter_form(request.GET)
    filters.is_valid()  # a wrong value is shown at its field and left out; the rest applies
    listing = scope.listing(filters.narrow(scope.generations, request.user), request.user)
    rows = list(filters.page(listing)[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if filters.cleaned_data.get("newer"):  # the live poll: they go on top, newest first
        rows.reverse()
        has_more = False
    context = {
        "scope": scope,
        "filters": filters,
        "page": rows,
        "empty_text": scope.empty_text,
        "first_query": filters.query(),
        "next_query": (
            filters.query(after=filters.cursor(listing.position_of(rows[-1]))) if has_more else ""
        ),
        "live_url": _live_url(request, scope, filters, listing, rows),
        # Bulk actions take whole generations; a board's tiles are single images.
        "bulk_boards": None
        if scope.board
        else boards_to_change(request.user).select_related("team"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "gallery/_review_results.html", context)
        if request.htmx.target == RESULTS_ID:
            # The filter form pushes its URL; push the tidy one, without the empty fields.
            query = context["first_query"]
            response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    else:
        response = render(request, template, {**page_context(), **context})
    # The fragment and the full page share a URL: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _live_url(request: HttpRequest, scope: Scope, filters: ReviewFilterForm, listing, rows) -> str:
    """What the live poll asks for: these filters, newer than the newest row shown (with none
    shown, whatever matches). Only on the top of a newest-first list: that is where new cards
    go. Empty when the page does not poll."""
    if not scope.live or filters.oldest_first or filters.cleaned_data.get("after"):
        return ""
    newest = listing.position_of(rows[0]) if rows else filters.cleaned_data.get("newer")
    query = filters.query(newer=filters.cursor(newest)) if newest else filters.query()
    return f"{request.path}?{query}" if query else request.path


def lists_on_top(request: HttpRequest, scope: Scope, generation: Generation) -> bool:
    """Whether a card made on the page goes on top of its list: the list as its address has it
    (HTMX sends that as HX-Current-URL) is newest first, not a further page, and its filters
    let the new generation through. Without the header, the plain list: yes."""
    filters = scope.filter_form(QueryDict(urlsplit(request.htmx.current_url or "").query))
    filters.is_valid()  # as on the page: a wrong value is left out
    if filters.oldest_first or filters.cleaned_data.get("after"):
        return False  # its place is at the far end, not on this page
    return filters.narrow(scope.generations.filter(pk=generation.pk), request.user).exists()


@login_required
@require_GET
def team_gallery(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk)
    scope = Scope(
        Generation.objects.visible_to(request.user).filter(team=team),
        empty_text=f"Nothing shared with {team} yet.",
        authors=members_of(team),
        reviews=True,
        live=True,
    )
    return review(request, scope, "gallery/team_gallery.html", lambda: {"team": team})
