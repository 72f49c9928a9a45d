"""Bulk actions on the cards ticked on a list page: trash, add to a board, ZIP of originals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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
        messages.error(request, _("Tick the generations to act on first."))
    elif action == "zip":
        size = GeneratedImage.objects.filter(generation__in=picked).aggregate(n=Sum("bytes"))["n"]
        if (size or 0) <= ZIP_MAX_BYTES:
            return zip_of(picked)
        messages.error(
            request,
            _("Those images come to %(size)s, more than one ZIP may hold (%(most)s): pick fewer.")
            % {"size": filesizeformat(size), "most": filesizeformat(ZIP_MAX_BYTES)},
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
            ngettext("Moved %(count)s to the trash.", "Moved %(count)s to the trash.", moved)
            % {"count": moved}
            + (
                " "
                + ngettext(
                    "%(count)s left alone (not yours to delete, or still being made).",
                    "%(count)s left alone (not yours to delete, or still being made).",
                    skipped,
                )
                % {"count": skipped}
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
        messages.success(
            request,
            ngettext(
                "Added %(count)s image to “%(board)s”.",
                "Added %(count)s images to “%(board)s”.",
                len(added),
            )
            % {"count": len(added), "board": board},
        )
    return redirect_back(request, "gallery:home")
