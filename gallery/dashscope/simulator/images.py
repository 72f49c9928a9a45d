"""The OSS side of the simulator: signed, expiring result URLs and the pictures behind them.

The pictures are cheap, real PNGs that depend only on (prompt, seed, size, watermark, reference
images), so a test can tell two images apart or prove that they match. Reference images are
pasted, in order, as squares along the top (reference_boxes), so an edit shows its sources.

Each protocol's results have a path family of their own, as the two families' results come
from OSS buckets of their own: /results/ for text-to-image V2, /dashscope-result-bj/ for
image-generation (the bucket name its result hosts carry).
"""

import hashlib
import hmac
import io
import re
import uuid
from collections.abc import Sequence
from urllib.parse import parse_qs

from PIL import Image, ImageDraw, ImageFont, ImageOps

FAMILIES = {"text2image": "results", "image-generation": "dashscope-result-bj"}
RESULT_PATH = re.compile(r"/(results|dashscope-result-bj)/([^/]+)/(\d+)\.png")


class OssError(Exception):
    """An answer as Alibaba Cloud OSS gives it: a status and an XML body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def xml(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
            f"  <Code>{self.code}</Code>\n  <Message>{self.message}</Message>\n"
            f"  <RequestId>{uuid.uuid4().hex[:24].upper()}</RequestId>\n"
            "  <HostId>dashscope-result-sim.oss-cn-beijing.aliyuncs.com</HostId>\n</Error>\n"
        ).encode()


def signed_url(
    secret: bytes, host: str, family: str, task_id: str, index: int, expires: int
) -> str:
    """A result URL on the host the client used, valid until `expires` (epoch seconds)."""
    signature = _sign(secret, family, task_id, index, expires)
    query = f"Expires={expires}&Signature={signature}"
    return f"http://{host}/{family}/{task_id}/{index}.png?{query}"


def check_signature(
    secret: bytes, family: str, task_id: str, index: int, query: str, now: float
) -> None:
    """Raise OssError unless the query carries a signature for this image, live at `now`."""
    params = parse_qs(query)
    expires = params.get("Expires", [""])[0]
    if not expires.isdigit():
        raise OssError(403, "AccessDenied", "Missing or malformed Expires parameter.")
    # OSS checks the expiry before the signature, so an expired link says so.
    if now > int(expires):
        raise OssError(403, "AccessDenied", "Request has expired.")
    expected = _sign(secret, family, task_id, index, int(expires))
    if not hmac.compare_digest(expected, params.get("Signature", [""])[0]):
        raise OssError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _sign(secret: bytes, family: str, task_id: str, index: int, expires: int) -> str:
    message = f"{family}/{task_id}/{index}/{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def render_png(
    prompt: str,
    seed: int,
    width: int,
    height: int,
    watermark: bool = False,
    references: Sequence[bytes] = (),
) -> bytes:
    """A width x height PNG drawn from a hash of the prompt and seed, with the reference images
    (PNG bytes) pasted where reference_boxes says."""
    digest = hashlib.sha256(f"{seed}\n{prompt}".encode()).digest()
    # A 2x2 image of four corner colours, stretched, gives a smooth gradient for almost no work.
    corners = Image.new("RGB", (2, 2))
    corners.putdata([tuple(digest[i : i + 3]) for i in (0, 3, 6, 9)])
    image = corners.resize((width, height), Image.Resampling.BILINEAR)

    draw = ImageDraw.Draw(image)
    short = min(width, height)
    for i in range(3):
        b = digest[12 + 5 * i : 17 + 5 * i]
        x, y = b[0] * width // 255, b[1] * height // 255
        r = short // 12 + b[2] * short // 1020
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(b[3], b[4], b[2]))

    draw.text((short // 40, short // 40), f"seed {seed}", fill="white", font=_font(short // 24))
    for reference, box in zip(
        references, reference_boxes(width, height, len(references)), strict=True
    ):
        with Image.open(io.BytesIO(reference)) as thumbnail:
            side = box[2] - box[0]
            image.paste(ImageOps.fit(thumbnail.convert("RGB"), (side, side)), box[:2])
    if watermark:
        _draw_watermark(draw, width, height, short)

    out = io.BytesIO()
    # Speed over size: the simulator must not be the slow part of a benchmark.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def reference_boxes(width: int, height: int, count: int) -> list[tuple[int, int, int, int]]:
    """Where references 1..count go: equal squares in a row near the top, left to right."""
    if count == 0:
        return []
    short = min(width, height)
    margin = short // 40 + 1
    side = max(1, min(short // 5, (width - margin * (count + 1)) // count))
    top = short // 8
    lefts = (margin + i * (side + margin) for i in range(count))
    return [(left, top, left + side, top + side) for left in lefts]


def _draw_watermark(draw: ImageDraw.ImageDraw, width: int, height: int, short: int) -> None:
    # The real mark reads "AI生成"; the bundled font has no CJK glyphs, so a boxed "AI" stands in.
    font = _font(short // 20)
    left, top, right, bottom = draw.textbbox((0, 0), "AI", font=font)
    pad = short // 80 + 2
    x1, y1 = width - pad * 2, height - pad * 2
    x0, y0 = x1 - (right - left) - 2 * pad, y1 - (bottom - top) - 2 * pad
    draw.rectangle((x0, y0, x1, y1), fill=(0, 0, 0), outline=(255, 255, 255))
    draw.text((x0 + pad - left, y0 + pad - top), "AI", fill="white", font=font)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(size, 8))
