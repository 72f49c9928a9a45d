"""Request checks as DashScope makes them: each raises the error body the real API answers.

The checks are building blocks shared by every protocol; a protocol's module (text2image.py)
applies them to its own body in DashScope's order, which decides the error a client sees when a
request breaks two rules at once.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid, url_error
from .models import GENERATION_MODELS, MODELS, EachSide, ModelSpec, PixelsAndAspect
from .times import from_list_time


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.")
    return data


def model(name: Any) -> ModelSpec:
    """A text-to-image V2 model; one of the image-generation protocol's answers "url error"."""
    spec = MODELS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise url_error() if name in GENERATION_MODELS else invalid("Model not exist.")
    return spec


def size(value: Any, spec: ModelSpec) -> tuple[int, int]:
    """(width, height) of a 'W*H' size this model accepts."""
    return dimensions(value, spec.size_rule)


def dimensions(value: Any, rule: EachSide | PixelsAndAspect) -> tuple[int, int]:
    """(width, height) of a 'W*H' size within the rule."""
    m = re.fullmatch(r"(\d{1,5})\*(\d{1,5})", value) if isinstance(value, str) else None
    if m is None:
        raise invalid(f"parameters.size must look like '1024*1024', got {value!r}.")
    width, height = int(m[1]), int(m[2])
    if refusal := rule.refusal(value, width, height):
        raise invalid(refusal)
    return width, height


def integer(name: str, value: Any, low: int, high: int) -> int:
    # JSON true is no integer here, though Python's bool is one.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{name} must be an integer from {low} to {high}, got {value!r}.")
    return value


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{name} must be a boolean, got {value!r}.")
    return value


def inspect_input(text: str, word: str) -> None:
    """Refuse a text holding the configured word, as DashScope's input moderation would."""
    if word and word.lower() in text.lower():
        raise ApiError(400, "DataInspectionFailed", "Input data may contain inappropriate content.")


@dataclass(frozen=True)
class ListQuery:
    """The parameters of GET /api/v1/tasks."""

    filters: dict[str, str]  # status and model_name, when given
    page_no: int
    page_size: int
    since: float  # the submit-time window, epoch seconds, both ends included
    until: float


def list_query(params: dict[str, list[str]]) -> ListQuery:
    filters = {name: params[name][0] for name in ("status", "model_name") if name in params}
    try:
        page_no = int(params.get("page_no", ["1"])[0])
        page_size = int(params.get("page_size", ["10"])[0])
    except ValueError:
        raise invalid("page_no and page_size must be integers.") from None
    if page_no < 1 or not 1 <= page_size <= 100:
        raise invalid("page_no must be at least 1 and page_size from 1 to 100.")
    try:
        since, until = (
            from_list_time(params[name][0]) if name in params else default
            for name, default in (("start_time", 0.0), ("end_time", float("inf")))
        )
    except ValueError:
        raise invalid("start_time and end_time must look like YYYYMMDDhhmmss.") from None
    return ListQuery(filters, page_no, page_size, since, until)
