"""The detail page, all of it: the parameters and images, the steps it went through with their
times, where it came from and what was made from it, the boards it is on, the team's review
section, and sharing it with a team or back to private."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..forms import CommentForm
from ..models import Board, GeneratedImage, Generation, ReviewMark
from ..permissions import (
    boards_to_change,
    can_manage,
    can_review,
    comments_to_delete,
    get_card_for_user,
    get_generation_for_author,
    get_generation_to_manage,
    teams_to_create_in,
)
from ..templatetags.gallery_extras import duration
from . import posted_id
from .boards import with_boards

REMIXES_SHOWN = 24


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_card_for_user(request, pk)
    with_boards(request.user, list(generation.images.all()))  # a board form per image
    context = {
        "generation": generation,
        "board_choices": list(boards_to_change(request.user).select_related("team")),
        **review_section(request, generation),
        **_lineage(request.user, generation),
        "boards": _boards_with(request.user, generation),
        "timings": timings(generation),
        "can_manage": can_manage(request.user, generation),
        "share_teams": teams_to_create_in(request.user)
        if generation.owner_id == request.user.pk and not generation.team_id
        else [],
    }
    return render(request, "gallery/detail.html", context)


# The steps it went through


@dataclass
class Step:
    label: str
    at: datetime
    after: str = ""  # how long since the step before, for people


def _took(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    return f"{seconds:.1f} s" if seconds < 10 else duration(delta)


def timings(generation: Generation) -> list[Step]:
    """The steps a generation went through, each with the time it took to get there."""
    Status = Generation.Status
    ended = _("Images stored") if generation.status == Status.SUCCEEDED else _("Ended here")
    moments = [
        (_("Queued here"), generation.created_at),
        (_("Submitted to DashScope"), generation.submitted_at),
        (_("Started at DashScope"), generation.started_at),
        (_("Finished at DashScope"), generation.finished_at),
        (ended, generation.completed_at),
    ]
    steps: list[Step] = []
    for label, at in moments:
        if at is None:
            continue
        steps.append(Step(label, at, _took(at - steps[-1].at) if steps else ""))
    return steps


# Where it came from, what was made from it, where it is kept


def _lineage(user, generation: Generation) -> dict:
    """Its parent and its remixes, each only as far as `user` may see them."""
    visible = Generation.objects.visible_to(user)
    parent = None
    if generation.parent_id:
        parent = visible.filter(pk=generation.parent_id).select_related("owner").first()
    made_from = visible.filter(parent=generation).select_related("owner").order_by("-created_at")
    remixes = list(made_from[:REMIXES_SHOWN])
    remix_count = made_from.count()
    edited = []  # (reference, the stored image it was taken from, if the user may see it)
    if generation.has_references:
        sources = GeneratedImage.objects.filter(
            generation__in=visible, used_as_reference__generation=generation
        )
        seen = {image.pk: image for image in sources}
        edited = [(ref, seen.get(ref.source_id)) for ref in generation.references.all()]
    return {
        "parent": parent,
        "remixes": remixes,
        "remix_count": remix_count,
        "older_remixes": remix_count - len(remixes),
        "edited": edited,
    }


def _boards_with(user, generation: Generation):
    """The boards its images are on that `user` may see."""
    return (
        Board.objects.visible_to(user)
        .filter(items__image__generation=generation)
        .select_related("team")
        .distinct()
    )


# The team's review section (its actions are in team_review.py)


def review_section(request: HttpRequest, generation: Generation, form=None) -> dict:
    """What _team_review.html shows this user; nothing for a private generation."""
    if not generation.team_id:
        return {}
    marks = list(generation.marks.select_related("user").order_by("updated_at", "id"))
    deletable = comments_to_delete(request.user).filter(generation=generation)
    return {
        "can_review": can_review(request.user, generation),
        "comments": generation.comments.select_related("author"),
        "deletable_comments": set(deletable.values_list("pk", flat=True)),
        "comment_form": form or CommentForm(),
        "picked_by": [m.user for m in marks if m.mark == ReviewMark.Mark.PICKED],
        "rejected_by": [m.user for m in marks if m.mark == ReviewMark.Mark.REJECTED],
        "my_mark": next((m.mark for m in marks if m.user_id == request.user.pk), ""),
    }


# Sharing


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """The author shares a private generation with one of their teams."""
    generation = get_generation_for_author(request, pk)
    team = get_object_or_404(teams_to_create_in(request.user), pk=posted_id(request, "team"))
    Generation.objects.filter(pk=generation.pk).update(team=team)
    messages.success(request, _("Shared with %(team)s.") % {"team": team})
    return redirect(generation)


@login_required
@require_POST
def unshare(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to private: the author, or the owner of the team it is shared with."""
    generation = get_generation_to_manage(request, pk)
    if generation.team_id:
        team = generation.team
        Generation.objects.filter(pk=generation.pk).update(team=None)
        messages.success(request, _("No longer shared with %(team)s.") % {"team": team})
        if generation.owner_id != request.user.pk:
            return redirect(team)  # the team owner no longer sees it
    return redirect(generation)
