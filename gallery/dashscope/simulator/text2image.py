"""The Wan text-to-image V2 protocol: what its submit must hold, what a query of its task answers.

Its create-task body holds `input.prompt`; a finished task answers `results[]` (orig_prompt,
actual_prompt, url), `task_metrics` and `usage.image_count`. DashScope's image-generation
protocol (`input.messages` in, `choices[]` out) is image_generation.py beside it.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from . import validation
from .errors import invalid
from .models import N_MAX, NEGATIVE_PROMPT_MAX, SEED_MAX
from .tasks import Task, TaskRequest, task_fields

SUBMIT_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
N_DEFAULT = 4
EXTEND_PHRASES = ("soft natural light", "highly detailed", "rich colours", "cinematic framing")
EXTEND_PHRASES += ("shallow depth of field", "gentle film grain", "balanced contrast")


def parse_submit(body: bytes, inspection_word: str) -> TaskRequest:
    """Validate a create-task body as the real API does, in its order."""
    data = validation.json_object(body)
    spec = validation.model(data.get("model"))
    task_input, params = data.get("input"), data.get("parameters") or {}
    if not isinstance(task_input, dict) or not isinstance(params, dict):
        raise invalid("input must be an object holding the prompt; parameters an object.")
    prompt = task_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("input.prompt is required and must be a non-empty string.")
    negative = task_input.get("negative_prompt")
    if negative is not None and (
        not isinstance(negative, str) or len(negative) > NEGATIVE_PROMPT_MAX
    ):
        raise invalid(
            f"input.negative_prompt must be a string of at most {NEGATIVE_PROMPT_MAX} characters."
        )
    width, height = validation.size(params.get("size", spec.default_size), spec)
    n = validation.integer("parameters.n", params.get("n", N_DEFAULT), 1, N_MAX)
    seed = params.get("seed")
    if seed is not None:
        validation.integer("parameters.seed", seed, 0, SEED_MAX)
    prompt_extend = validation.boolean(
        "parameters.prompt_extend", params.get("prompt_extend", True)
    )
    watermark = validation.boolean("parameters.watermark", params.get("watermark", False))
    validation.inspect_input(prompt, inspection_word)
    return TaskRequest(
        model=data["model"],
        prompt=prompt[: spec.prompt_max],  # DashScope cuts a long prompt without a word
        n=n,
        seed=seed,
        width=width,
        height=height,
        prompt_extend=prompt_extend,
        watermark=watermark,
    )


def answer(task: Task, status: str, now: float, image_url: Callable[[int], str]) -> dict:
    """The 200 body of GET /tasks/{id} for a known task; `image_url(i)` signs image i's link."""
    output: dict[str, Any] = task_fields(task, status, now)
    n = task.request.n
    output["task_metrics"] = {"TOTAL": n, "SUCCEEDED": 0, "FAILED": 0}
    if status == "FAILED":
        output["task_metrics"]["FAILED"] = n
        output["code"] = "DataInspectionFailed"
        output["message"] = "Output data may contain inappropriate content."
    if status != "SUCCEEDED":
        return {"output": output}
    good = n - task.failed_images
    output["task_metrics"].update(SUCCEEDED=good, FAILED=task.failed_images)
    output["results"] = [
        _result(task, image_url(i)) if i < good else _image_timeout() for i in range(n)
    ]
    return {"output": output, "usage": {"image_count": good}}


def _result(task: Task, url: str) -> dict:
    item = {"orig_prompt": task.request.prompt}
    if task.request.prompt_extend:
        item["actual_prompt"] = _extend_prompt(task.request.prompt)
    item["url"] = url
    return item


def _image_timeout() -> dict:
    return {"code": "InternalError.Timeout", "message": "An internal timeout error has occurred."}


def _extend_prompt(prompt: str) -> str:
    """A stand-in for the LLM rewrite: the prompt plus phrases chosen by its hash."""
    h = hashlib.sha256(prompt.encode()).digest()
    picks = dict.fromkeys(EXTEND_PHRASES[b % len(EXTEND_PHRASES)] for b in h[:3])
    return f"{prompt}, {', '.join(picks)}"
