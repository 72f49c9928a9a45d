"""The listing every list page shares: "mine" on the home page, each team's gallery and each
board. A scope is what the user may see there; the filters and the position in the list live in
the query string (this module's query language), so a page is bookmarkable and the back button
works. The same partial (_listing_results.html) serves the full page, the HTMX answer to the
filter form, the "Load more" link and a team gallery's live poll.

Pages are keyset pages: "Load more" asks for what comes after the last row's (created_at, id),
or (added_at, id) on a board, which the history, team and board indexes find directly, instead
of an OFFSET that reads every skipped row. No COUNT(*) either: one row more than a page tells
whether there is more. The live poll asks the same way for what is newer than the newest card.

A page's view reads its page and renders it:

    page = listing.read(request, listing.mine(request.user))
    if page.results_only:
        return page.results()
    return page.render("gallery/home.html", {...what the rest of the page needs})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from . import waiting
from .dashscope.catalog import MODELS, SIZE_PRESETS
from .ids import parse_id
from .models import Board, BoardItem, Generation, GenerationQuerySet, Team
from .models.keyset import KeysetQuerySet
from .permissions import boards_to_change, can_change_board

PAGE_SIZE = 24
RESULTS_ID = "review-results"  # the element the filter form's HTMX answer replaces

# Positions: where a row stands in its list, as the `after` and `newer` values of a link.

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECONDS = re.compile(r"[0-9]{1,17}")


def encode_cursor(position: tuple[datetime, int]) -> str:
    """The `after` or `newer` value for a row's position (see KeysetQuerySet.position_of)."""
    at, pk = position
    return f"{(at - EPOCH) // timedelta(microseconds=1)}_{pk}"


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    """The position an `after` or `newer` value names; None if it is damaged."""
    micros, _, pk = value.partition("_")
    row = parse_id(pk)
    if not MICROSECONDS.fullmatch(micros) or row is None:
        return None
    return EPOCH + timedelta(microseconds=int(micros)), row


# Filters: the query string of a list page.

SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$", re.IGNORECASE)
ORDER_CHOICES = [("newest", _("Newest first")), ("oldest", _("Oldest first"))]
DATES = [MinValueValidator(date(1970, 1, 1)), MaxValueValidator(date(9998, 12, 31))]


def date_field(label) -> forms.DateField:
    """An optional day of a query string's period (a list page's, a usage page's)."""
    return forms.DateField(
        label=label,
        required=False,
        validators=DATES,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class FilterForm(forms.Form):
    """A list page's filters and position, read from the query string.

    A wrong value becomes an error at its field and that filter is left out; the others still
    apply, so a mistyped bookmark shows something useful and never a 500.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Prompt, negative or actual prompt")}
        ),
    )
    model = forms.ChoiceField(
        label=_("Model"), required=False, choices=[("", _("Any model"))] + [(m, m) for m in MODELS]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Generation.Status.choices],
    )
    size = forms.CharField(
        label=_("Size"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 1024x1024"), "list": "review-sizes"}),
    )
    author = forms.ModelChoiceField(
        label=_("Author"),
        queryset=None,
        required=False,
        to_field_name="username",
        empty_label=_("Anyone"),
    )
    since = date_field(_("From"))
    until = date_field(_("To"))
    starred = forms.BooleanField(label=_("★ Starred only"), required=False)
    review = forms.ChoiceField(  # team review marks: only where a team reviews
        label=_("Review"),
        required=False,
        choices=[
            ("", _("Any review")),
            ("picked", _("Picked")),
            ("rejected", _("Rejected")),
            ("unreviewed", _("Unreviewed")),
        ],
    )
    order = forms.ChoiceField(label=_("Order"), required=False, choices=ORDER_CHOICES)
    # Positions in the list, not filters: where the next page starts (the last row's position,
    # set by "Load more" links), and the newest row shown (set by a live list's poll, which asks
    # for what was made since).
    after = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    newer = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    FILTERS = ("q", "model", "status", "size", "author", "since", "until", "starred", "review")
    SIZES = [f"{w}x{h}" for w, h in SIZE_PRESETS]

    def __init__(
        self, data, authors=None, reviews: bool = False, statuses: bool = True, **kwargs
    ) -> None:
        """`authors`: the people the author filter offers; without it there is no such filter.
        `reviews`: whether to filter by the team's review marks; `statuses`, by status."""
        super().__init__(data, auto_id="review-%s", **kwargs)
        if not statuses:
            del self.fields["status"]
        if authors is None:
            del self.fields["author"]
        else:
            self.fields["author"].queryset = authors
        if not reviews:
            del self.fields["review"]

    def clean_size(self) -> tuple[int, int] | None:
        value = self.cleaned_data["size"]
        if not value:
            return None
        match = SIZE_PATTERN.match(value)
        if not match:
            raise forms.ValidationError(_("Write a size as width×height, for example 1024x1024."))
        return int(match[1]), int(match[2])

    def clean_after(self) -> tuple[datetime, int] | None:
        return self._position("after")

    def clean_newer(self) -> tuple[datetime, int] | None:
        return self._position("newer")

    def _position(self, name: str) -> tuple[datetime, int] | None:
        value = self.cleaned_data[name]
        if not value:
            return None
        position = decode_cursor(value)
        if position is None:
            raise forms.ValidationError(_("This link to a further page is damaged."))
        return position

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def narrow(self, generations: GenerationQuerySet, user) -> GenerationQuerySet:
        """`generations` narrowed by every valid filter."""
        data = self.cleaned_data if self.is_bound else {}
        if data.get("q"):
            generations = generations.search(data["q"])
        if data.get("model"):
            generations = generations.filter(model=data["model"])
        if data.get("status"):
            generations = generations.filter(status=data["status"])
        if data.get("size"):
            generations = generations.of_size(*data["size"])
        if data.get("author"):
            generations = generations.filter(owner=data["author"])
        if data.get("since") or data.get("until"):
            generations = generations.created_between(data.get("since"), data.get("until"))
        if data.get("starred"):
            generations = generations.favourited_by(user)
        if data.get("review"):
            generations = generations.reviewed(data["review"])
        return generations

    def page(self, rows: KeysetQuerySet) -> KeysetQuerySet:
        """`rows` in the chosen order from `after` on; with `newer`, only what is newer than
        that row, the closest first, so a poll never skips one when many came at once."""
        data = self.cleaned_data if self.is_bound else {}
        if data.get("newer"):
            return rows.following(*data["newer"], oldest_first=True).in_order(oldest_first=True)
        if data.get("after"):
            rows = rows.following(*data["after"], oldest_first=self.oldest_first)
        return rows.in_order(self.oldest_first)

    @property
    def oldest_first(self) -> bool:
        return self.is_bound and self.cleaned_data.get("order") == "oldest"

    @property
    def filtering(self) -> bool:
        """Whether any filter narrows the list (the empty message says so)."""
        return any(self.cleaned_data.get(name) for name in self.FILTERS)

    def query(self, **extra: str) -> str:
        """The query string for these filters as typed, without empty values or the default
        order: what goes into the address bar and the "Load more" link."""
        pairs = [
            (name, self.data.get(name, ""))
            for name in self.fields
            if name not in ("after", "newer") and self.data.get(name, "") not in ("", "newest")
        ]
        return urlencode(pairs + list(extra.items()))


# Scopes: what one list page lists.


@dataclass
class Scope:
    """What one list page lists, and the filters that make sense there."""

    generations: GenerationQuerySet  # already limited to what the user may see
    empty_text: str  # when nothing is there at all, not even before filtering
    authors: QuerySet | None = None  # the people offered by the author filter, if any
    reviews: bool = False  # whether the team's review marks can be filtered on
    statuses: bool = True  # whether what it lists can be in any status (a board's are done)
    live: bool = False  # whether the page polls for cards others make while it is open
    # A board lists its own images (of the generations that match), not whole generations.
    board: Board | None = None
    can_change_board: bool = False  # whether its images show a "Remove"

    def filter_form(self, data: QueryDict) -> FilterForm:
        return FilterForm(data, authors=self.authors, reviews=self.reviews, statuses=self.statuses)

    def rows(self, matching: GenerationQuerySet, user) -> KeysetQuerySet:
        """The rows the page shows for the generations that match: their cards, or on a board
        its images of them."""
        if self.board is None:
            return matching.for_cards(user)
        items = self.board.items.filter(image__generation__in=matching)
        return items.select_related("image__generation")


def members_of(team: Team) -> QuerySet:
    """The author filter's choices in a team's scopes: everyone in the team."""
    return get_user_model().objects.filter(memberships__team=team).order_by("username")


def mine(user) -> Scope:
    """The user's own history, on the home page."""
    return Scope(
        Generation.objects.visible_to(user).filter(owner=user),
        empty_text=_("Nothing yet: write a prompt and press Generate."),
    )


def team_gallery(user, team: Team) -> Scope:
    """What is shared with a team the user is in, live while the page is open."""
    return Scope(
        Generation.objects.visible_to(user).filter(team=team),
        empty_text=_("Nothing shared with %(team)s yet.") % {"team": team},
        authors=members_of(team),
        reviews=True,
        live=True,
    )


def board_scope(user, board: Board) -> Scope:
    """A board's images, searched and filtered by what their generations are, newest added
    first."""
    on_board = BoardItem.objects.filter(board=board).values("image__generation")
    return Scope(
        Generation.objects.visible_to(user).filter(pk__in=on_board),
        empty_text=_("No images on this board yet: open an image and use “Add to board”."),
        authors=members_of(board.team) if board.team_id else None,
        reviews=board.team_id is not None,
        statuses=False,
        board=board,
        can_change_board=can_change_board(user, board),
    )


# Pages: one page of a scope, as the query string asks for it.


@dataclass
class Page:
    request: HttpRequest
    scope: Scope
    context: dict  # what _listing_results.html needs

    @property
    def results_only(self) -> bool:
        """Whether this is an HTMX request for the results alone (filters, "Load more", the
        live poll); the back button's history restore wants the full page."""
        htmx = self.request.htmx
        return bool(htmx) and not htmx.history_restore_request

    def results(self) -> HttpResponse:
        response = render(self.request, "gallery/_listing_results.html", self.context)
        if self.request.htmx.target == RESULTS_ID:
            # The filter form pushes its URL; push the tidy one, without the empty fields.
            query = self.context["first_query"]
            path = self.request.path
            response["HX-Push-Url"] = f"{path}?{query}" if query else path
        return _varies(response)

    def render(self, template: str, context: dict) -> HttpResponse:
        """The full page: `context` is what the rest of the page needs."""
        return _varies(render(self.request, template, {**context, **self.context}))


def _varies(response: HttpResponse) -> HttpResponse:
    # The fragment and the full page share a URL: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def read(request: HttpRequest, scope: Scope) -> Page:
    """The page of `scope` the query string asks for; a wrong value is shown at its field and
    left out, the rest applies."""
    filters = scope.filter_form(request.GET)
    filters.is_valid()
    listed = scope.rows(filters.narrow(scope.generations, request.user), request.user)
    rows = list(filters.page(listed)[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if scope.board is None:
        waiting.note_waits(rows)
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
            filters.query(after=encode_cursor(listed.position_of(rows[-1]))) if has_more else ""
        ),
        "live_url": _live_url(request, scope, filters, listed, rows),
        # Bulk actions take whole generations; a board's tiles are single images.
        "bulk_boards": None
        if scope.board
        else boards_to_change(request.user).select_related("team"),
    }
    return Page(request, scope, context)


def _live_url(request: HttpRequest, scope: Scope, filters: FilterForm, listed, rows) -> str:
    """What the live poll asks for: these filters, newer than the newest row shown (with none
    shown, whatever matches). Only on the top of a newest-first list: that is where new cards
    go. Empty when the page does not poll."""
    if not scope.live or filters.oldest_first or filters.cleaned_data.get("after"):
        return ""
    newest = listed.position_of(rows[0]) if rows else filters.cleaned_data.get("newer")
    query = filters.query(newer=encode_cursor(newest)) if newest else filters.query()
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
