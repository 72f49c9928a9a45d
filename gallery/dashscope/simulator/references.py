"""Reference images of an image-generation request: decoded and checked as DashScope checks
them, and kept as small thumbnails for the picture the task draws.

DashScope also takes public http(s) URLs and oss:// uploads; the simulator fetches nothing
from the network, so it takes data: URIs only and says so for anything else.
"""

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from .errors import invalid

MAX_BYTES = 20 * 1024 * 1024
SIDE_MIN, SIDE_MAX, ASPECT_MAX = 240, 8000, 8
FORMATS = ("JPEG", "PNG", "BMP", "WEBP")
THUMBNAIL_SIDE = 256
DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,(.*)", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    width: int
    height: int
    thumbnail: bytes  # a PNG at most THUMBNAIL_SIDE on a side


def decode(number: int, value: Any) -> Reference:
    """Reference image `number` (1-based, as the prompt names it), or InvalidParameter."""
    name = f"image {number}"
    if not isinstance(value, str) or not value:
        raise invalid(f"{name} must be a URL or a data: URI.")
    if re.match(r"(https?|oss)://", value, re.IGNORECASE):
        raise invalid(
            f"{name}: the simulator takes images as data: URIs only "
            "(data:image/png;base64,...); it fetches no URL."
        )
    m = DATA_URI.fullmatch(value)
    if m is None:
        raise invalid(f"{name} must be a URL or a data:image/...;base64, URI.")
    try:
        data = base64.b64decode(m[1], validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{name}: the data: URI is not valid base64.") from None
    if len(data) > MAX_BYTES:
        raise invalid(f"{name} is {len(data)} bytes; at most 20 MB are allowed.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, OSError):
        raise invalid(f"{name} is not an image DashScope can read.") from None
    with image:
        return _checked(name, image)


def _checked(name: str, image: Image.Image) -> Reference:
    if image.format not in FORMATS:
        raise invalid(f"{name} is {image.format}; it must be JPEG, PNG, BMP or WEBP.")
    if image.format == "PNG" and ("A" in image.getbands() or "transparency" in image.info):
        raise invalid(f"{name} is a PNG with an alpha channel; it must have none.")
    width, height = image.size
    if not (SIDE_MIN <= width <= SIDE_MAX and SIDE_MIN <= height <= SIDE_MAX):
        raise invalid(
            f"{name} is {width}*{height}; each side must be {SIDE_MIN} to {SIDE_MAX} pixels."
        )
    if max(width, height) > ASPECT_MAX * min(width, height):
        raise invalid(f"{name} is {width}*{height}; its aspect ratio must be from 1:8 to 8:1.")
    image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # JPEG decodes small: cheap
    try:
        thumbnail = image.convert("RGB")
    except OSError:
        raise invalid(f"{name} is a damaged image.") from None
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    thumbnail.save(out, format="PNG", compress_level=1)
    return Reference(width, height, out.getvalue())
