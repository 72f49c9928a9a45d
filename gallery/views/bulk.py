"""Bulk actions on the cards ticked on a list page: trash, add to a board, ZIP of originals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..ids import parse_id
from ..models import BoardItem, GeneratedImage, Generation
from ..permissions import generations_to_manage, get_board_for_user
from . import posted_id, redirect_back
from .files import zip_of

MAX_PICKED = 200  # a ZIP of more would be better made by the admin
ZIP_MAX_BYTES = 512 * 1024 * 1024  # a ZIP holds a web thread while it downloads: keep it short


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Act on the picked generations the user may see; anything else picked is ignored."""
    ids = [pk for pk in map(parse_id, request.POST.getlist("ids")) if pk is not None][:MAX_PICKED]
    picked = Generation.objects.visible_to(request.user).filter(pk__in=ids)
    action = request.POST.get("action")
    if not ids:
        messages.error(request, "Tick the generations to act on first.")
    elif action == "zip":
        size = GeneratedImage.objects.filter(generation__in=picked).aggregate(n=Sum("bytes"))["n"]
        if (size or 0) <= ZIP_MAX_BYTES:
            return zip_of(picked)
        messages.error(
            request,
            f"Those images come to {filesizeformat(size)}, more than one ZIP may hold "
            f"({filesizeformat(ZIP_MAX_BYTES)}): pick fewer.",
        )
    elif action == "delete":
        finished = (
            generations_to_manage(request.user)
            .filter(pk__in=ids)
            .exclude(status__in=Generation.ACTIVE)
        )
        moved = finished.update(deleted_at=timezone.now())
        skipped = len(ids) - moved
        messages.success(
            request,
            f"Moved {moved} to the trash."
            + (
                f" {skipped} left alone (not yours to delete, or still being made)."
                if skipped
                else ""
            ),
        )
    elif action == "board":
        board = get_board_for_user(request, posted_id(request, "board"), change=True)
        images = GeneratedImage.objects.filter(generation__in=picked).exclude(original="")
        added = BoardItem.objects.bulk_create(
            [BoardItem(board=board, image=image, added_by=request.user) for image in images],
            ignore_conflicts=True,  # already on the board
        )
        messages.success(request, f"Added {len(added)} image(s) to “{board}”.")
    return redirect_back(request, "gallery:home")
