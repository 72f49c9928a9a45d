"""Fetch a finished task's images (their URLs expire in 24 h) into Django storage."""

from __future__ import annotations

import io
import logging
import re
import time
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from . import lifecycle
from .dashscope.errors import ErrorCode
from .models import GeneratedImage, Generation

log = logging.getLogger(__name__)

MAX_PIXELS = 4096 * 4096  # well above any Wan size; larger is a decompression bomb
MAX_REDIRECTS = 3
DOWNLOAD_SECONDS = 60  # for one image, however steadily it trickles in
ATTEMPTS = 3  # quick tries within one job; one that still fails is run again later
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class DownloadError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def host_allowed(url: str) -> bool:
    """Whether DASHSCOPE_RESULT_HOSTS lets us download `url` (https, except on loopback)."""
    # Read the URL as requests will (urllib3), and refuse what parsers disagree on: a
    # backslash or a user part can make a check see one host and the download reach another.
    if "\\" in url:
        return False
    try:
        parts = parse_url(url)
    except LocationParseError:
        return False
    host = (parts.host or "").lower().strip("[]")
    if parts.auth is not None:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return False
    for entry in settings.DASHSCOPE_RESULT_HOSTS:
        entry = entry.strip().lower().lstrip(".")
        if "*" in entry:
            if re.fullmatch(re.escape(entry).replace(r"\*", "[a-z0-9-]*"), host):
                return True
        elif entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def fetch_image(url: str) -> bytes:
    """The image at `url`: allowed hosts only (redirects too), capped in bytes and pixels."""
    for _ in range(MAX_REDIRECTS + 1):
        if not host_allowed(url):
            raise DownloadError(
                ErrorCode.DOWNLOAD_FAILED, f"Refused to download from {urlsplit(url).hostname}."
            )
        try:
            response = requests.get(url, stream=True, timeout=(5, 30), allow_redirects=False)
        except requests.RequestException as exc:
            raise DownloadError(
                ErrorCode.DOWNLOAD_FAILED, type(exc).__name__, retryable=True
            ) from None
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 403:
                raise DownloadError(ErrorCode.RESULT_EXPIRED, "The image link had expired.")
            if response.status_code != 200:
                raise DownloadError(
                    ErrorCode.DOWNLOAD_FAILED,
                    f"HTTP {response.status_code}",
                    retryable=response.status_code in RETRYABLE_STATUSES,
                )
            data = _read_capped(response)
        _verify_image(data)
        return data
    raise DownloadError(ErrorCode.DOWNLOAD_FAILED, "Too many redirects.")


def _read_capped(response: requests.Response) -> bytes:
    limit = settings.IMAGE_MAX_BYTES
    if int(response.headers.get("Content-Length") or 0) > limit:
        raise DownloadError(ErrorCode.DOWNLOAD_FAILED, "The image is larger than allowed.")
    buffer = io.BytesIO()
    deadline = time.monotonic() + DOWNLOAD_SECONDS
    try:
        for chunk in response.iter_content(64 * 1024):
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise DownloadError(ErrorCode.DOWNLOAD_FAILED, "The image is larger than allowed.")
            if time.monotonic() > deadline:  # a trickle that never quite times out
                raise DownloadError(
                    ErrorCode.DOWNLOAD_FAILED, "The download was too slow.", retryable=True
                )
    except requests.RequestException as exc:
        raise DownloadError(ErrorCode.DOWNLOAD_FAILED, type(exc).__name__, retryable=True) from None
    return buffer.getvalue()


def _verify_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DownloadError(ErrorCode.DOWNLOAD_FAILED, "The image has too many pixels.")
            if image.format not in ("PNG", "JPEG", "WEBP"):
                raise DownloadError(ErrorCode.DOWNLOAD_FAILED, f"Unexpected {image.format} file.")
            image.verify()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DownloadError(ErrorCode.DOWNLOAD_FAILED, f"Not a valid image ({exc}).") from None


def thumbnail_of(data: bytes) -> tuple[bytes, str, int, int]:
    """A WebP thumbnail for the gallery, and the original's file extension, width and height."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            extension = {"JPEG": "jpg"}.get(image.format, image.format.lower())
            size = image.size
            image.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
            out = io.BytesIO()
            image.convert("RGB").save(out, "WEBP", quality=80, method=4)
    except (OSError, ValueError) as exc:  # damaged pixel data passes verify() but not decoding
        raise DownloadError(ErrorCode.DOWNLOAD_FAILED, f"Not a valid image ({exc}).") from None
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
    # The storage overwrites (settings.STORAGES): a file left by a job that died half-way is
    # replaced, not given a suffixed twin; and a bucket is asked once, not three times.
    return default_storage.save(name, ContentFile(data))


def _store_image(generation: Generation, index: int, result: dict) -> bool:
    """Store one result (an image, or DashScope's error for it); False to try again later."""
    fields = {"seed": generation.seed + index if generation.seed is not None else None}
    if not result.get("url"):
        fields.update(
            error_code=result.get("code") or ErrorCode.FAILED,
            error_message=result.get("message", ""),
        )
    else:
        try:
            data = _fetch_with_retries(result["url"])
            thumbnail, extension, width, height = thumbnail_of(data)
        except DownloadError as error:
            log.warning("generation %s image %s: %s", generation.pk, index, error.message)
            if error.retryable:
                return False
            fields.update(error_code=error.code, error_message=error.message)
        else:
            prefix = f"generations/{generation.pk}/{index}"
            fields.update(
                original=_save(f"{prefix}.{extension}", data),
                thumbnail=_save(f"{prefix}.thumb.webp", thumbnail),
                width=width,
                height=height,
                bytes=len(data),
                error_code="",
                error_message="",
            )
    GeneratedImage.objects.update_or_create(generation=generation, index=index, defaults=fields)
    return True


def _settled_indexes(generation: Generation) -> set[int]:
    """Images already stored, or ended with a final error."""
    settled = generation.images.exclude(original="", error_code="")
    return set(settled.values_list("index", flat=True))


def store_results(generation: Generation) -> None:
    """Download every image of a DOWNLOADING record, then end it. Safe to run twice."""
    settled = _settled_indexes(generation)
    all_settled = True
    for index, result in enumerate(generation.results):
        if index in settled:
            continue
        if not lifecycle.hold_for_storing(generation):
            return
        all_settled &= _store_image(generation, index, result)
    if all_settled:
        lifecycle.images_stored(generation)
    else:
        lifecycle.store_later(generation)


def give_up(generation: Generation) -> None:
    """End a record whose images could not all be stored in time, keeping those that were."""
    settled = _settled_indexes(generation)
    for index in range(len(generation.results)):
        if index not in settled:
            GeneratedImage.objects.update_or_create(
                generation=generation,
                index=index,
                defaults={
                    "error_code": ErrorCode.DOWNLOAD_FAILED,
                    "error_message": "Gave up retrying.",
                },
            )
    lifecycle.images_stored(generation)
