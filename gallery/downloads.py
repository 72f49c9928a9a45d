"""Fetch a finished task's images (their URLs expire in 24 h) into Django storage."""

from __future__ import annotations

import io
import logging
import time
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from .models import GeneratedImage, Generation

log = logging.getLogger(__name__)
Status = Generation.Status

MAX_PIXELS = 4096 * 4096  # well above any Wan size; larger is a decompression bomb
MAX_REDIRECTS = 3
ATTEMPTS = 3
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class DownloadError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


def host_allowed(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return urlsplit(url).scheme in ("http", "https") and any(
        host == suffix or host.endswith("." + suffix)
        for suffix in (s.strip().lower().lstrip(".") for s in settings.DASHSCOPE_RESULT_HOSTS)
        if suffix
    )


def fetch_image(url: str) -> bytes:
    """The image at `url`: allowed hosts only (redirects too), capped in bytes and pixels."""
    for _ in range(MAX_REDIRECTS + 1):
        if not host_allowed(url):
            raise DownloadError(
                "DownloadFailed", f"Refused to download from {urlsplit(url).hostname}."
            )
        try:
            response = requests.get(url, stream=True, timeout=(5, 30), allow_redirects=False)
        except requests.RequestException as exc:
            raise DownloadError("DownloadFailed", type(exc).__name__, retryable=True) from None
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 403:
                raise DownloadError("ResultExpired", "The image link had expired.")
            if response.status_code != 200:
                raise DownloadError(
                    "DownloadFailed",
                    f"HTTP {response.status_code}",
                    retryable=response.status_code in RETRYABLE_STATUSES,
                )
            data = _read_capped(response)
        _verify_image(data)
        return data
    raise DownloadError("DownloadFailed", "Too many redirects.")


def _read_capped(response: requests.Response) -> bytes:
    limit = settings.IMAGE_MAX_BYTES
    if int(response.headers.get("Content-Length") or 0) > limit:
        raise DownloadError("DownloadFailed", "The image is larger than allowed.")
    buffer = io.BytesIO()
    try:
        for chunk in response.iter_content(64 * 1024):
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise DownloadError("DownloadFailed", "The image is larger than allowed.")
    except requests.RequestException as exc:
        raise DownloadError("DownloadFailed", type(exc).__name__, retryable=True) from None
    return buffer.getvalue()


def _verify_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DownloadError("DownloadFailed", "The image has too many pixels.")
            if image.format not in ("PNG", "JPEG", "WEBP"):
                raise DownloadError("DownloadFailed", f"Unexpected {image.format} file.")
            image.verify()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DownloadError("DownloadFailed", f"Not a valid image ({exc}).") from None


def _thumbnail(data: bytes) -> tuple[bytes, str, int, int]:
    """A WebP thumbnail for the gallery, and the original's file extension, width and height."""
    with Image.open(io.BytesIO(data)) as image:
        extension = {"JPEG": "jpg"}.get(image.format, image.format.lower())
        size = image.size
        image.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
        out = io.BytesIO()
        image.convert("RGB").save(out, "WEBP", quality=80, method=4)
    return out.getvalue(), extension, *size


def _fetch_with_retries(url: str) -> bytes:
    for attempt in range(ATTEMPTS):
        try:
            return fetch_image(url)
        except DownloadError as error:
            if not error.retryable or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def _save(name: str, data: bytes) -> str:
    # A job that died half-way may have left a file; replace it rather than add a suffixed twin.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def store_results(generation: Generation) -> None:
    """Download every image of a DOWNLOADING record, then mark it done. Safe to run twice."""
    done = set(generation.images.exclude(original="").values_list("index", flat=True)) | set(
        generation.images.exclude(error_code="").values_list("index", flat=True)
    )
    for index, result in enumerate(generation.results):
        if index in done:
            continue
        image = GeneratedImage(
            generation=generation,
            index=index,
            seed=generation.seed + index if generation.seed is not None else None,
        )
        if result.get("url"):
            try:
                data = _fetch_with_retries(result["url"])
            except DownloadError as error:
                log.warning("generation %s image %s: %s", generation.pk, index, error.message)
                image.error_code, image.error_message = error.code, error.message
            else:
                thumbnail, extension, image.width, image.height = _thumbnail(data)
                prefix = f"generations/{generation.pk}/{index}"
                image.original.name = _save(f"{prefix}.{extension}", data)
                image.thumbnail.name = _save(f"{prefix}.thumb.webp", thumbnail)
                image.bytes = len(data)
        else:
            image.error_code = result.get("code") or "Failed"
            image.error_message = result.get("message", "")
        GeneratedImage.objects.filter(generation=generation, index=index).delete()
        image.save()

    images = list(generation.images.all())
    if any(image.original for image in images):
        generation.transition(
            Status.DOWNLOADING,
            status=Status.SUCCEEDED,
            results=[],
            completed_at=timezone.now(),
            next_check_at=None,
        )
    else:
        first_error = next((i for i in images if i.error_code), None)
        generation.fail(
            Status.DOWNLOADING,
            first_error.error_code if first_error else "DownloadFailed",
            first_error.error_message if first_error else "",
        )
