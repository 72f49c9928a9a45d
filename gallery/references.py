"""Reference images: what a prompt is sent with (wan2.7 edits, Qwen-Image references).

A person picks them from what they may see (a stored image, or a reference of a generation)
or uploads them. Each is named on the form by a token, so it survives a redraw or a refusal
elsewhere on the form: `g14.2` is image 2 of #14 (0-based), `r14.0` the first reference of #14,
`u<hex>` an upload of this user, checked and re-encoded when it arrived and kept under
references/pending/ until a generation takes it (a daily job drops those older than a day).

Every reference is sent as it is stored: a JPEG of at most SENT_SIDE_MAX px on its long side,
as a data: URI (never a URL of ours: our images are private). Nine of them stay a few MB.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from .downloads import thumbnail_of
from .models import GeneratedImage, Generation, ReferenceImage
from .models.images import format_boxes

__all__ = ["format_boxes"]  # beside parse_boxes, its inverse, for the views

# What DashScope takes (dashscope-image-generation-api.md, "Image limits").
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "BMP": "BMP", "WEBP": "WebP"}
SIDE_MIN, SIDE_MAX = 240, 8000
ASPECT_MAX = 8
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# What is sent: a JPEG this long at most on its long side (about 0.3–1 MB).
SENT_SIDE_MAX = 2048
JPEG_QUALITY = 90
PENDING = "references/pending"
PENDING_DAYS = 1
BOXES_MAX = 2  # per image (bbox_list)
BOX = re.compile(r"\s*(\d{1,5})\s*,\s*(\d{1,5})\s*,\s*(\d{1,5})\s*,\s*(\d{1,5})\s*")
TOKEN = re.compile(
    r"(?P<kind>[gr])(?P<pk>[0-9]{1,18})\.(?P<index>[0-9]{1,2})|u(?P<upload>[0-9a-f]{32})"
)


@dataclass(frozen=True)
class Pick:
    """A reference chosen on the form, before a generation takes it."""

    token: str
    name: str  # in default storage
    preview_url: str
    source: GeneratedImage | None = None  # picked from the gallery: the lineage
    needs_encoding: bool = False  # a stored original, re-encoded when it is attached

    def __str__(self) -> str:
        if self.source is None:
            return _("An uploaded image")
        return _("Image %(number)s of #%(generation)s") % {
            "number": self.source.index + 1,
            "generation": self.source.generation_id,
        }

    @cached_property
    def sent_size(self) -> tuple[int, int]:
        """Its sides as DashScope gets it (what its boxes are measured in)."""
        if self.needs_encoding and self.source.width:
            return sent_sides(self.source.width, self.source.height)
        with default_storage.open(self.name, "rb") as file, Image.open(file) as image:
            return sent_sides(*image.size) if self.needs_encoding else image.size


def sent_sides(width: int, height: int) -> tuple[int, int]:
    """An image's sides once scaled to be sent: SENT_SIDE_MAX at most on its long side."""
    scale = min(1.0, SENT_SIDE_MAX / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def parse_boxes(text: str, size: tuple[int, int]) -> list[list[int]]:
    """ "10,20,300,400; 50,60,70,80" as bbox_list takes it, checked against the image's sides;
    ValidationError saying what is wrong."""
    if not text.strip():
        return []
    boxes = []
    for part in filter(str.strip, text.split(";")):  # a trailing or doubled ";" is no box
        match = BOX.fullmatch(part)
        if match is None:
            raise ValidationError(
                _("“%(text)s” is not a box: write its corners as x1,y1,x2,y2 in pixels.")
                % {"text": part.strip()}
            )
        x1, y1, x2, y2 = (int(side) for side in match.groups())
        width, height = size
        if not (x1 < x2 <= width and y1 < y2 <= height):
            raise ValidationError(
                _(
                    "%(box)s does not fit the %(width)s×%(height)s image: it takes "
                    "x1 < x2 ≤ %(width)s and y1 < y2 ≤ %(height)s."
                )
                % {"box": f"{x1},{y1},{x2},{y2}", "width": width, "height": height}
            )
        boxes.append([x1, y1, x2, y2])
    if len(boxes) > BOXES_MAX:
        raise ValidationError(
            _("At most %(most)s boxes an image; this has %(count)s.")
            % {"most": BOXES_MAX, "count": len(boxes)}
        )
    return boxes


def resolve(user, token: str) -> Pick | None:
    """The reference `token` names, if this user may use it; None otherwise (and then the
    form drops it without a word: a refusal would tell that it exists)."""
    match = TOKEN.fullmatch(token)
    if match is None:
        return None
    if match["upload"]:
        name = f"{PENDING}/{user.pk}/{match['upload']}.jpg"
        if not default_storage.exists(name):
            return None
        return Pick(token, name, reverse("gallery:pending_reference", args=[match["upload"]]))
    pk, index = int(match["pk"]), int(match["index"])
    visible = Generation.objects.visible_to(user).filter(pk=pk)
    if match["kind"] == "g":
        image = (
            GeneratedImage.objects.filter(generation__in=visible, index=index)
            .exclude(original="")
            .first()
        )
        if image is None:
            return None
        url = reverse("gallery:thumbnail", args=[pk, index])
        return Pick(token, image.original.name, url, source=image, needs_encoding=True)
    reference = ReferenceImage.objects.filter(generation__in=visible, index=index).first()
    if reference is None:
        return None
    url = reverse("gallery:reference_thumbnail", args=[pk, index])
    return Pick(token, reference.image.name, url, source=reference.source)


def refusal(pick: Pick) -> str | None:
    """Why DashScope would refuse a pick from the gallery (an upload was checked already)."""
    if pick.source is None or not pick.needs_encoding or pick.source.width is None:
        return None
    width, height = pick.source.width, pick.source.height
    if not (SIDE_MIN <= width <= SIDE_MAX and SIDE_MIN <= height <= SIDE_MAX):
        return _("%(what)s: %(width)s×%(height)s; each side must be %(least)s–%(most)s px.") % {
            "what": pick,
            "width": width,
            "height": height,
            "least": SIDE_MIN,
            "most": SIDE_MAX,
        }
    return None


def resolve_all(user, tokens: list[str]) -> list[Pick]:
    """The picks `tokens` name that the user may use, in order, each once."""
    picks = [resolve(user, token) for token in dict.fromkeys(tokens)]
    return [pick for pick in picks if pick is not None]


def accept_upload(user, upload) -> str:
    """Check an uploaded file as DashScope would, re-encode it, keep it; its token.
    A file DashScope would refuse raises ValidationError saying why, by its name."""
    if upload.size > UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("%(what)s: larger than %(megabytes)s MB.")
            % {"what": upload.name, "megabytes": UPLOAD_MAX_BYTES // 2**20}
        )
    data = encoded(upload, what=upload.name)[0]
    key = uuid.uuid4().hex
    default_storage.save(f"{PENDING}/{user.pk}/{key}.jpg", ContentFile(data))
    return f"u{key}"


def encoded(file, *, what: str) -> tuple[bytes, int, int]:
    """`file` as it is sent: checked, then a JPEG of at most SENT_SIDE_MAX px, and its sides."""
    try:
        with Image.open(file) as image:
            if image.format not in FORMATS:
                raise ValidationError(
                    _("%(what)s: not an image DashScope takes (%(formats)s).")
                    % {"what": what, "formats": ", ".join(FORMATS.values())}
                )
            width, height = image.size
            if not (SIDE_MIN <= width <= SIDE_MAX and SIDE_MIN <= height <= SIDE_MAX):
                raise ValidationError(
                    _("%(what)s: %(width)s×%(height)s; each side must be %(least)s–%(most)s px.")
                    % {
                        "what": what,
                        "width": width,
                        "height": height,
                        "least": SIDE_MIN,
                        "most": SIDE_MAX,
                    }
                )
            if max(width, height) > ASPECT_MAX * min(width, height):
                raise ValidationError(
                    _(
                        "%(what)s: %(width)s×%(height)s; the aspect ratio must be within "
                        "1:%(most)s and %(most)s:1."
                    )
                    % {"what": what, "width": width, "height": height, "most": ASPECT_MAX}
                )
            image = ImageOps.exif_transpose(image)  # as the camera held it
            if (sides := sent_sides(*image.size)) != image.size:
                image = image.resize(sides, Image.Resampling.LANCZOS)
            flat = Image.new("RGB", image.size, "white")  # no alpha: PNG with alpha is refused
            flat.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(what)s: not an image that can be read.") % {"what": what}
        ) from None
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), *flat.size


def attach(generation: Generation, picks: list[Pick], boxes: list[list] | None = None) -> None:
    """Store `picks` as the generation's references, in order, each with its `boxes` (inside
    the caller's transaction, so the dispatcher never sees the generation without them)."""
    boxes = boxes or [[] for pick in picks]
    for index, (pick, its_boxes) in enumerate(zip(picks, boxes, strict=True)):
        with default_storage.open(pick.name, "rb") as file:
            if pick.needs_encoding:
                data, width, height = encoded(file, what=str(pick))
            else:  # encoded when it was uploaded, or sent with another generation
                data = file.read()
                with Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
        reference = ReferenceImage(
            generation=generation,
            index=index,
            width=width,
            height=height,
            boxes=its_boxes,
            source=pick.source,
        )
        folder = f"generations/{generation.pk}/references"
        reference.image.save(f"{folder}/{index}.jpg", ContentFile(data), save=False)
        thumbnail = thumbnail_of(data)[0]
        reference.thumbnail.save(f"{folder}/{index}.thumb.webp", ContentFile(thumbnail), save=False)
        reference.save()
        if pick.token.startswith("u"):
            default_storage.delete(pick.name)


def carried_over(generation: Generation) -> dict[str, list]:
    """The generation's references as a remix or a retry starts from them: the token naming
    each, in the prompt's order, and its boxes."""
    return {
        f"r{generation.pk}.{index}": boxes
        for index, boxes in generation.references.values_list("index", "boxes")
    }


def purge_pending(now=None) -> int:
    """Drop uploads no generation took within PENDING_DAYS; how many."""
    cutoff = (now or timezone.now()) - timedelta(days=PENDING_DAYS)
    dropped = 0
    try:
        users = default_storage.listdir(PENDING)[0]
    except FileNotFoundError:
        return 0
    for user in users:
        for name in default_storage.listdir(f"{PENDING}/{user}")[1]:
            path = f"{PENDING}/{user}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                dropped += 1
    return dropped
