"""The simulator's knobs: timings, limits and faults, each with its help text.

The dataclass is the one description of them: the command-line flags (cli.py) and the checks on
a POST /_sim/config are both read from its fields, so a new knob needs no other edit.
"""

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class SimulatorConfig:
    pending_seconds: float = _opt(0.5, "time a task stays PENDING")
    running_seconds: float = _opt(2.0, "time a task stays RUNNING")
    running_jitter: float = _opt(0.0, "running time varies uniformly by +/- this")
    extend_seconds: float = _opt(0.0, "extra RUNNING time when prompt_extend is on")
    concurrency_limit: int | None = _opt(
        None, "PENDING/RUNNING tasks per (key, model); more -> 429 (default: the model's own)"
    )
    submit_rate: float | None = _opt(
        None, "submits per second per (key, model); 0 = unlimited (default: the model's own)"
    )
    query_rate: float = _opt(20.0, "GET /tasks per second per key; 0 = unlimited")
    url_ttl_seconds: float = _opt(86400.0, "result URLs answer 403 after this")
    task_ttl_seconds: float = _opt(86400.0, "a task id answers UNKNOWN after this")
    error_rate_5xx: float = _opt(0.0, "fraction of API calls answered 500 InternalError")
    slow_rate: float = _opt(0.0, "fraction of API calls delayed by slow_seconds")
    slow_seconds: float = _opt(0.0, "delay of a slow API call")
    reset_rate: float = _opt(0.0, "fraction of API calls whose connection is dropped")
    malformed_rate: float = _opt(
        0.0, "fraction of API calls that take effect but answer 200 with a body cut short"
    )
    unknown_rate: float = _opt(0.0, "fraction of GET /tasks/{id} answered UNKNOWN")
    partial_failure: bool = _opt(False, "for n>1 the last image of each task fails")
    inspection_word: str = _opt("forbidden", "a prompt with this word is refused at submit")
    output_inspection_word: str = _opt("nsfw-output", "a prompt with this word ends FAILED")
    failed_code_at_top: bool = _opt(
        False, "a FAILED image-generation task gives code and message beside output, not in it"
    )
    valid_keys: list[str] | None = _opt(None, "accepted keys (default: any key starting sk-)")
    workspace: str | None = _opt(
        None, "calls must name this workspace (X-DashScope-WorkSpace), as a sub-account key's do"
    )
    arrearage: bool = _opt(False, "every call answers 400 Arrearage")
    random_seed: int | None = _opt(None, "seed of the RNG behind faults, jitter and seeds")


def apply_changes(config: SimulatorConfig, changes: Mapping[str, Any]) -> None:
    """Apply a JSON object of fields, all or none; ValueError names the first that does not fit."""
    types_by_name = {f.name: f.type for f in dataclasses.fields(SimulatorConfig)}
    for name, value in changes.items():
        if not _json_fits(types_by_name.get(name), value):
            raise ValueError(f"unknown field or bad value: {name}={value!r}")
    for name, value in changes.items():
        setattr(config, name, value)


def non_none(annotation: Any) -> Any:
    """int for `int | None`; the annotation itself otherwise."""
    if isinstance(annotation, types.UnionType):
        return next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _json_fits(annotation: Any, value: Any) -> bool:
    """Whether a JSON value suits a config field annotated so (None: no such field)."""
    if annotation is None:
        return False
    kind = non_none(annotation)
    if value is None:
        return kind is not annotation  # only optional fields take null
    if kind is bool or isinstance(value, bool):  # JSON true is no number here
        return kind is bool and isinstance(value, bool)
    if typing.get_origin(kind) is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, (int, float) if kind is float else kind)
