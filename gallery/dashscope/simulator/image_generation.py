"""DashScope's image-generation protocol (wan2.6-t2i, wan2.7-image(-pro), qwen-image): what its
submit must hold, what a query of its task answers.

One user message holds exactly one text item and the reference images (`{"image": …}`), which
the prompt numbers by their order; a finished task answers `choices[].message.content[]` and
`usage.size`. The same body goes to the async endpoint (a task to poll) and to the synchronous
one, which answers at once with the same output minus the task fields.
"""

import math
import re
from collections.abc import Callable
from typing import Any

from . import references, validation
from .errors import ApiError, invalid, url_error
from .models import (
    GENERATION_MODELS,
    MODELS,
    NEGATIVE_PROMPT_MAX,
    SEED_MAX,
    GenerationSpec,
    PixelsAndAspect,
)
from .tasks import Task, TaskRequest, task_fields

SUBMIT_PATH = "/api/v1/services/aigc/image-generation/generation"
SYNC_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
PROTOCOL = "image-generation"
MODEL_PICKS = 1024  # without a size, qwen-image picks 1024*1024 pixels in all (⚠ undocumented)
HEX = re.compile(r"#[0-9A-Fa-f]{6}")
RATIO = re.compile(r"(\d{1,3})\.(\d{2})%")


def parse_submit(body: bytes, inspection_word: str, sync: bool = False) -> TaskRequest:
    """Validate a body for either endpoint as the real API does, in its order."""
    data = validation.json_object(body)
    name = data.get("model")
    spec = _model(name, sync)
    task_input, params = data.get("input"), data.get("parameters") or {}
    if not isinstance(task_input, dict) or not isinstance(params, dict):
        raise invalid("input must be an object holding messages; parameters an object.")
    text, images = _message(task_input.get("messages"))
    if len(text) > spec.prompt_max and not spec.prompt_cut:
        raise invalid(f"The text has {len(text)} characters; {name} takes {spec.prompt_max}.")
    if len(images) > spec.images_max:
        allowed = "no images" if not spec.images_max else f"at most {spec.images_max} images"
        raise invalid(f"{name} takes {allowed}; the message has {len(images)}.")
    refs = [references.decode(i, image) for i, image in enumerate(images, 1)]
    for param, supported in (
        ("negative_prompt", spec.negative_prompt),
        ("prompt_extend", spec.prompt_extend),
        ("thinking_mode", spec.thinking_mode),
        ("enable_sequential", spec.set_n is not None),
        ("bbox_list", spec.layout),
        ("color_palette", spec.layout),
    ):
        if param in params and not supported:
            raise invalid(f"parameters.{param} is not supported by {name}.")
    image_set = validation.boolean(
        "parameters.enable_sequential", params.get("enable_sequential", False)
    )
    count = spec.set_n if image_set and spec.set_n else spec.n
    n = validation.integer("parameters.n", params.get("n", count.default), count.low, count.high)
    width, height = _size(params.get("size", spec.default_size), spec, refs, image_set)
    thinking = _thinking(params.get("thinking_mode"), spec, bool(refs), image_set)
    if "bbox_list" in params:
        _bbox_list(params["bbox_list"], refs)
    if "color_palette" in params:
        if image_set:
            raise invalid("parameters.color_palette cannot be used with an image set.")
        _color_palette(params["color_palette"])
    negative = params.get("negative_prompt")
    if negative is not None and (
        not isinstance(negative, str) or len(negative) > NEGATIVE_PROMPT_MAX
    ):
        raise invalid(
            "parameters.negative_prompt must be a string of at most "
            f"{NEGATIVE_PROMPT_MAX} characters."
        )
    seed = params.get("seed")
    if seed is not None:
        validation.integer("parameters.seed", seed, 0, SEED_MAX)
    prompt_extend = validation.boolean(
        "parameters.prompt_extend", params.get("prompt_extend", spec.prompt_extend)
    )
    watermark = validation.boolean("parameters.watermark", params.get("watermark", False))
    validation.inspect_input(text, inspection_word)
    return TaskRequest(
        model=name,
        prompt=text[: spec.prompt_max],  # wan2.7 cuts a long text without a word
        n=n,
        seed=seed,
        width=width,
        height=height,
        prompt_extend=prompt_extend,
        watermark=watermark,
        protocol=PROTOCOL,
        references=tuple(r.thumbnail for r in refs),
        image_set=image_set,
        thinking=thinking,
        sync=sync,
    )


def answer(
    task: Task,
    status: str,
    now: float,
    image_url: Callable[[int], str],
    failed_code_at_top: bool = False,
) -> dict:
    """The 200 body of GET /tasks/{id} for a known task; `image_url(i)` signs image i's link."""
    output: dict[str, Any] = task_fields(task, status, now)
    if status == "FAILED":
        # The schema puts these in output; one doc example beside it: the config picks.
        failure = {"code": "DataInspectionFailed", "message": _OUTPUT_INSPECTION}
        if failed_code_at_top:
            return {**failure, "output": output}
        return {"output": {**output, **failure}}
    if status != "SUCCEEDED":
        return {"output": output}
    return _finished(task, image_url, output)


def sync_answer(task: Task, image_url: Callable[[int], str]) -> dict:
    """The synchronous endpoint's 200 body: the finished output without the task fields."""
    if task.outcome == "FAILED":
        raise ApiError(400, "DataInspectionFailed", _OUTPUT_INSPECTION)
    return _finished(task, image_url, {})


_OUTPUT_INSPECTION = "Output data may contain inappropriate content."


def _finished(task: Task, image_url: Callable[[int], str], output: dict) -> dict:
    r = task.request
    good = r.n - task.failed_images  # a partial failure returns (and bills) fewer images
    items = [{"type": "image", "image": image_url(i)} for i in range(good)]
    groups = [items] if r.image_set else [[item] for item in items]  # a set is one choice
    output["finished"] = True
    output["choices"] = [
        {"finish_reason": "stop", "message": {"role": "assistant", "content": group}}
        for group in groups
    ]
    spec = GENERATION_MODELS[r.model]
    tokens_in = (len(r.prompt) + 4096 * len(r.references)) if spec.counts_tokens else 0
    tokens_out = 2 * good if spec.counts_tokens else 0
    usage = {
        "image_count": good,
        "size": f"{r.width}*{r.height}",
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }
    return {"output": output, "usage": usage}


def _model(name: Any, sync: bool) -> GenerationSpec:
    spec = GENERATION_MODELS.get(name) if isinstance(name, str) else None
    if spec is None:
        # Symmetric with the old endpoint's answer to a new model (assumed, not documented).
        raise url_error() if name in MODELS else invalid("Model not exist.")
    if spec.sync_only and not sync:
        # The docs list qwen-image-2.0 as synchronous only; the words are the mirror of the
        # ones for a missing async header (⚠ assumed).
        raise ApiError(403, "AccessDenied", "current user api does not support asynchronous calls")
    return spec


def _message(messages: Any) -> tuple[str, list[Any]]:
    """The one text and the images, in order, of the one user message."""
    if (
        not isinstance(messages, list)
        or len(messages) != 1
        or not isinstance(messages[0], dict)
        or messages[0].get("role") != "user"
        or not isinstance(messages[0].get("content"), list)
    ):
        raise invalid("input.messages must hold one message, its role user, its content a list.")
    texts, images = [], []
    for item in messages[0]["content"]:
        if isinstance(item, dict) and "text" in item:
            texts.append(item["text"])
        elif isinstance(item, dict) and "image" in item:
            images.append(item["image"])
        else:
            raise invalid("Each content item must be {'text': ...} or {'image': ...}.")
    if len(texts) != 1:
        raise invalid(f"The message must hold exactly one text item; it holds {len(texts)}.")
    if not isinstance(texts[0], str) or not texts[0].strip():
        raise invalid("The text item must be a non-empty string.")
    return texts[0], images


def _size(
    value: Any, spec: GenerationSpec, refs: list[references.Reference], image_set: bool
) -> tuple[int, int]:
    text_only = not refs and not image_set
    last = (refs[-1].width, refs[-1].height) if refs else (1, 1)
    if value is None:  # the model picks: qwen-image, in the last image's aspect ratio
        return _in_aspect(MODEL_PICKS**2, last)
    if isinstance(value, str) and value in spec.presets:
        side = spec.presets[value]
        if side > spec.size_rule.high and not (text_only and side <= spec.text_only_high):
            raise invalid(
                f"parameters.size {value} is only for wan2.7-image-pro text-to-image, "
                "without images or an image set."
            )
        return _in_aspect(side**2, last)
    rule = spec.size_rule
    if text_only and spec.text_only_high:
        rule = PixelsAndAspect(rule.low, spec.text_only_high, rule.aspect)
    if spec.presets and not (isinstance(value, str) and "*" in value):
        presets = ", ".join(spec.presets)
        raise invalid(f"parameters.size must be one of {presets} or look like '2048*2048'.")
    return validation.dimensions(value, rule)


def _in_aspect(pixels: int, aspect: tuple[int, int]) -> tuple[int, int]:
    """About `pixels` pixels in all, shaped width:height as `aspect`."""
    w, h = aspect
    return math.isqrt(pixels * w // h), math.isqrt(pixels * h // w)


def _thinking(value: Any, spec: GenerationSpec, has_images: bool, image_set: bool) -> bool:
    if not spec.thinking_mode:
        return False
    if value is None:
        return not has_images and not image_set  # on by default where it applies
    if validation.boolean("parameters.thinking_mode", value) and (has_images or image_set):
        raise invalid("parameters.thinking_mode applies only without images or an image set.")
    return value


def _bbox_list(value: Any, refs: list[references.Reference]) -> None:
    """One entry per image ([] for none), each at most two [x1, y1, x2, y2] boxes inside it."""
    if not isinstance(value, list) or len(value) != len(refs):
        raise invalid(f"parameters.bbox_list must hold one entry per image ({len(refs)}).")
    for number, (boxes, ref) in enumerate(zip(value, refs, strict=True), 1):
        if not isinstance(boxes, list) or len(boxes) > 2:
            raise invalid(f"parameters.bbox_list entry {number} must be a list of at most 2 boxes.")
        for box in boxes:
            if (
                not isinstance(box, list)
                or len(box) != 4
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in box)
                or not 0 <= box[0] < box[2] <= ref.width
                or not 0 <= box[1] < box[3] <= ref.height
            ):
                raise invalid(
                    f"parameters.bbox_list entry {number}: {box!r} must be [x1, y1, x2, y2] "
                    f"inside the image's {ref.width}*{ref.height} pixels."
                )


def _color_palette(value: Any) -> None:
    """3 to 10 {"hex": "#RRGGBB", "ratio": "60.00%"} whose ratios sum to 100.00%."""
    if not isinstance(value, list) or not 3 <= len(value) <= 10:
        raise invalid("parameters.color_palette must hold 3 to 10 colours.")
    hundredths = 0
    for colour in value:
        colour = colour if isinstance(colour, dict) else {}
        hex_, ratio = colour.get("hex"), colour.get("ratio")
        m = RATIO.fullmatch(ratio) if isinstance(ratio, str) else None
        if not isinstance(hex_, str) or not HEX.fullmatch(hex_) or m is None:
            raise invalid(
                'parameters.color_palette items look like {"hex": "#C2D1E6", "ratio": "60.00%"}.'
            )
        hundredths += int(m[1]) * 100 + int(m[2])
    if hundredths != 10000:
        raise invalid("parameters.color_palette ratios must sum to 100.00%.")
