"""Bulk actions on the cards picked in a review view: trash, add to a board, ZIP of originals."""

from __future__ import annotations

import json
import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import ID_PATTERN
from ..metadata import download_name, generation_manifest, png_with_metadata
from ..models import BoardItem, GeneratedImage, Generation
from ..permissions import generations_to_manage, get_board_for_user
from . import posted_id, redirect_back

MAX_PICKED = 200  # a ZIP of more would be better made by the admin
ZIP_MAX_BYTES = 512 * 1024 * 1024  # what one request may write to the server's disk


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Act on the picked generations the user may see; anything else picked is ignored."""
    ids = [int(i) for i in request.POST.getlist("ids") if ID_PATTERN.fullmatch(i)][:MAX_PICKED]
    picked = Generation.objects.visible_to(request.user).filter(pk__in=ids)
    action = request.POST.get("action")
    if not ids:
        messages.error(request, "Tick the generations to act on first.")
    elif action == "zip":
        size = GeneratedImage.objects.filter(generation__in=picked).aggregate(n=Sum("bytes"))["n"]
        if (size or 0) <= ZIP_MAX_BYTES:
            return _zip(picked)
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


def _zip(picked) -> FileResponse:
    """The originals, each carrying its prompt and parameters, and a JSON manifest."""
    generations = list(picked.select_related("owner", "team").prefetch_related("images"))
    archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:  # PNGs don't compress
        for generation in generations:
            for image in generation.images.all():
                if image.original:
                    name = download_name(generation, image)
                    zipped.writestr(name, png_with_metadata(generation, image))
        manifest = [generation_manifest(generation) for generation in generations]
        zipped.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    archive.seek(0)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return FileResponse(archive, as_attachment=True, filename=f"wanxweb-{stamp}.zip")
