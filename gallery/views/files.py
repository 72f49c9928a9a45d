"""The files the app hands out, each only to someone who may see it: a stored image, an
original downloaded with its parameters written into it, and a ZIP of many (a bulk action)."""

from __future__ import annotations

import io
import json
import mimetypes
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET
from storages.backends.s3 import S3Storage
from zipstream import ZipStream

from .. import references
from ..metadata import download_name, generation_manifest, png_with_metadata, reference_name
from ..models import GeneratedImage, Generation, GenerationQuerySet
from ..permissions import get_generation_for_user, get_stored_image


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int, index: int, kind: str) -> HttpResponse:
    """A stored image for someone who may see it."""
    image = get_stored_image(request, pk, index)
    stored = image.original if kind == "original" else image.thumbnail
    return _stored_file(stored.storage, stored.name)


@login_required
@require_GET
def trashed_thumbnail(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """A thumbnail of what the user put in the trash, for the trash page alone: nobody else
    sees a trashed generation, and no other page shows it (Generation.objects.visible_to)."""
    generation = get_object_or_404(Generation.objects.in_trash_of(request.user), pk=pk)
    image = get_object_or_404(generation.images.exclude(original=""), index=index)
    return _stored_file(image.thumbnail.storage, image.thumbnail.name)


def _stored_file(storage, name: str) -> HttpResponse:
    """From object storage, a presigned URL that lapses soon; from local files, the file
    itself, or nginx sends it (X_ACCEL_REDIRECT)."""
    if isinstance(storage, S3Storage):
        response = HttpResponseRedirect(storage.url(name))
        # Browsers may reuse the redirect while the URL it names is still valid.
        response["Cache-Control"] = f"private, max-age={settings.AWS_QUERYSTRING_EXPIRE // 2}"
        return response
    if settings.X_ACCEL_REDIRECT and isinstance(storage, FileSystemStorage):
        response = HttpResponse(content_type=mimetypes.guess_type(name)[0])
        response["X-Accel-Redirect"] = f"/protected-media/{quote(name)}"
    else:
        response = FileResponse(storage.open(name, "rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def reference_file(request: HttpRequest, pk: int, index: int, kind: str) -> HttpResponse:
    """A reference image a generation was sent with (or its thumbnail), for someone who may
    see the generation."""
    generation = get_generation_for_user(request, pk)
    stored = getattr(get_object_or_404(generation.references, index=index), kind)
    return _stored_file(stored.storage, stored.name)


@login_required
@require_GET
def pending_reference(request: HttpRequest, key: str) -> HttpResponse:
    """A reference its uploader just added to the prompt form; nobody else's."""
    pick = references.resolve(request.user, f"u{key}")
    if pick is None:
        raise Http404
    return _stored_file(default_storage, pick.name)


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


def zip_of(picked: GenerationQuerySet) -> StreamingHttpResponse:
    """The originals of `picked` (already what the user may see), each carrying its prompt and
    parameters, and a JSON manifest. Sent as it is made: no ZIP is put together on the server
    first, so however many download at once, each holds one image in memory, none on disk."""
    generations = list(
        picked.select_related("owner", "team").prefetch_related("images", "references")
    )
    archive = ZipStream()  # stored, not compressed: PNGs don't compress
    for generation in generations:
        for image in generation.images.all():
            if image.original:
                archive.add(_original(generation, image), download_name(generation, image))
        for reference in generation.references.all():  # what it was sent with, in order
            archive.add(_stored_bytes(reference.image), reference_name(reference))
    manifest = [generation_manifest(generation) for generation in generations]
    archive.add(json.dumps(manifest, ensure_ascii=False, indent=2), "manifest.json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    disposition = content_disposition_header(as_attachment=True, filename=f"wanxweb-{stamp}.zip")
    return StreamingHttpResponse(
        archive, content_type="application/zip", headers={"Content-Disposition": disposition}
    )


def _stored_bytes(stored) -> Iterator[bytes]:
    with stored.open("rb") as file:
        yield file.read()


def _original(generation: Generation, image: GeneratedImage) -> Iterator[bytes]:
    # A generator, so the image is read from storage only once the ZIP stream reaches it.
    yield png_with_metadata(generation, image)
