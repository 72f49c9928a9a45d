"""The files the app hands out, each only to someone who may see it: a stored image, an
original downloaded with its parameters written into it, and a ZIP of many (a bulk action)."""

from __future__ import annotations

import io
import json
import mimetypes
import tempfile
import zipfile
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_GET
from storages.backends.s3 import S3Storage

from ..metadata import download_name, generation_manifest, png_with_metadata
from ..models import GenerationQuerySet
from ..permissions import get_stored_image


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int, index: int, kind: str) -> HttpResponse:
    """A stored image for someone who may see it: from object storage, a presigned URL that
    lapses soon; from local files, the file itself, or nginx sends it (X_ACCEL_REDIRECT)."""
    image = get_stored_image(request, pk, index)
    stored = image.original if kind == "original" else image.thumbnail
    if isinstance(stored.storage, S3Storage):
        response = HttpResponseRedirect(stored.url)
        # Browsers may reuse the redirect while the URL it names is still valid.
        response["Cache-Control"] = f"private, max-age={settings.AWS_QUERYSTRING_EXPIRE // 2}"
        return response
    if settings.X_ACCEL_REDIRECT and isinstance(stored.storage, FileSystemStorage):
        response = HttpResponse(content_type=mimetypes.guess_type(stored.name)[0])
        response["X-Accel-Redirect"] = f"/protected-media/{quote(stored.name)}"
    else:
        response = FileResponse(stored.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def download(request: HttpRequest, pk: int, index: int) -> FileResponse:
    """The original as an attachment, with its prompt and parameters written into it."""
    image = get_stored_image(request, pk, index)
    return FileResponse(
        io.BytesIO(png_with_metadata(image.generation, image)),
        as_attachment=True,
        filename=download_name(image.generation, image),
        headers={"Cache-Control": "private, max-age=86400"},
    )


def zip_of(picked: GenerationQuerySet) -> FileResponse:
    """The originals of `picked` (already what the user may see), each carrying its prompt and
    parameters, and a JSON manifest."""
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
