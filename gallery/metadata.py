"""What a downloaded image carries with it: its prompt and parameters, readable a year later.

Every downloaded original (and every PNG in a bulk ZIP) gets PNG text chunks, one per parameter
plus a JSON chunk with all of them, so any PNG reader (Pillow's `Image.open(f).text`, exiftool,
ImageMagick's `identify -verbose`) can recall how it was made without wanxweb.

The chunks are spliced into the stored file rather than written by re-saving it with Pillow: the
pixel data stays byte for byte what DashScope made, and a 1440×1440 image is not recompressed
(which takes Pillow a good part of a second) for every download.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePath

from django.utils.text import slugify

from .models import GeneratedImage, Generation, ReferenceImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
JSON_KEYWORD = "wanxweb"  # the chunk holding everything as one JSON object
SOFTWARE = "wanxweb"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def image_manifest(image: GeneratedImage) -> dict:
    return {
        "index": image.index,
        "seed": image.seed,
        "width": image.width,
        "height": image.height,
        "bytes": image.bytes,
        "file": PurePath(image.original.name).name if image.original else None,
        "error_code": image.error_code or None,
    }


def reference_manifest(reference: ReferenceImage) -> dict:
    """A reference image as the prompt names it; where it came from is left out, as the
    parent is."""
    return {
        "image": reference.index + 1,
        "width": reference.width,
        "height": reference.height,
        "file": reference_name(reference),
        "boxes": reference.boxes,
    }


def reference_name(reference: ReferenceImage) -> str:
    return f"wanxweb-{reference.generation_id}-reference-{reference.index + 1}.jpg"


def generation_manifest(generation: Generation) -> dict:
    """Everything needed to recall or make again a generation, as JSON-ready values.

    Reads `owner`, `team`, `images` and `references`: select or prefetch them when listing
    many. The parent is left out: whoever holds the file may not be allowed to know of it.
    """
    return {
        "id": generation.pk,
        "page": generation.get_absolute_url(),
        "prompt": generation.prompt,
        "negative_prompt": generation.negative_prompt,
        "actual_prompt": generation.actual_prompt,
        "model": generation.model,
        "size": generation.size_name or f"{generation.width}*{generation.height}",
        "n": generation.n,
        "seed": generation.seed,
        "prompt_extend": generation.prompt_extend,
        "watermark": generation.watermark,
        "status": generation.status,
        "task_id": generation.task_id,
        "request_id": generation.request_id,
        "image_count": generation.image_count,
        "created_at": _iso(generation.created_at),
        "submitted_at": _iso(generation.submitted_at),
        "started_at": _iso(generation.started_at),
        "finished_at": _iso(generation.finished_at),
        "author": generation.owner.get_username(),
        "team": generation.team.name if generation.team_id else None,
        "images": [image_manifest(image) for image in generation.images.all()],
        "references": [reference_manifest(ref) for ref in generation.references.all()],
    }


def image_text(generation: Generation, image: GeneratedImage) -> dict[str, str]:
    """The text chunks of one image: keyword → text, the JSON chunk last."""
    fields = {
        "prompt": generation.prompt,
        "negative_prompt": generation.negative_prompt,
        "actual_prompt": generation.actual_prompt,
        "model": generation.model,
        "size": generation.size_name or f"{generation.width}*{generation.height}",
        # Empty when DashScope chose the seed: it does not say which.
        "seed": "" if image.seed is None else str(image.seed),
        "n": str(generation.n),
        "prompt_extend": str(generation.prompt_extend).lower(),
        "watermark": str(generation.watermark).lower(),
        "task_id": generation.task_id,
        "created_at": generation.created_at.isoformat(),
        "Software": SOFTWARE,
    }
    manifest = {**generation_manifest(generation), "image": image_manifest(image)}
    fields[JSON_KEYWORD] = json.dumps(manifest, ensure_ascii=False, sort_keys=True)
    return fields


def download_name(generation: Generation, image: GeneratedImage) -> str:
    """A file name that still says what the image is once it sits in a Downloads folder."""
    extension = PurePath(image.original.name).suffix or ".png"
    words = slugify(generation.prompt)[:40].rstrip("-")
    stem = f"wanxweb-{generation.pk}-{image.index + 1}"
    return f"{stem}-{words}{extension}" if words else f"{stem}{extension}"


def png_with_metadata(generation: Generation, image: GeneratedImage) -> bytes:
    """The stored original, with its text chunks added when it is a PNG; other files as stored."""
    with image.original.open("rb") as stored:
        data = stored.read()
    try:
        return add_text_chunks(data, image_text(generation, image))
    except ValueError:  # not a PNG (DashScope may also answer JPEG or WebP), or a damaged one
        return data


def add_text_chunks(png: bytes, text: dict[str, str]) -> bytes:
    """`png` with `text` as tEXt (Latin-1) or iTXt (UTF-8) chunks just before its image data.

    Text chunks already there under the same keywords are dropped, so readers (which keep the
    last value of a keyword) see ours. Raises ValueError if `png` is not a well-formed PNG.
    """
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    ours = {keyword.encode("latin-1") for keyword in text}
    out = [PNG_SIGNATURE]
    inserted = False
    for kind, body, raw in _chunks(png):
        if kind == b"IDAT" and not inserted:
            out.extend(_text_chunk(keyword, value) for keyword, value in text.items())
            inserted = True
        if kind in TEXT_CHUNKS and body.split(b"\0", 1)[0] in ours:
            continue
        out.append(raw)
    if not inserted:
        raise ValueError("a PNG without image data")
    return b"".join(out)


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """Each chunk's type, body, and raw bytes (length, type, body and CRC)."""
    position = len(PNG_SIGNATURE)
    while position < len(png):
        if position + 12 > len(png):
            raise ValueError("a truncated PNG")
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(png):
            raise ValueError("a truncated PNG")
        yield kind, png[position + 8 : position + 8 + length], png[position:end]
        if kind == b"IEND":
            return
        position = end
    raise ValueError("a PNG without its end")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _text_chunk(keyword: str, value: str) -> bytes:
    key = keyword.encode("latin-1")
    try:
        return _chunk(b"tEXt", key + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt: keyword, no compression, no language tag, no translated keyword, UTF-8 text.
        return _chunk(b"iTXt", key + b"\0\0\0\0\0" + value.encode())
