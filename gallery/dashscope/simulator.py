"""A local stand-in for DashScope's Wan text-to-image V2 API (see shared/dashscope-api.md).

Standalone on purpose (stdlib + Pillow, no Django): tests, benchmarks and developers run it
as `python -m gallery.dashscope.simulator`, and the official `dashscope` SDK works against it
unchanged. A task's status is derived from the clock whenever it is asked for, so there is no
background thread; one lock guards all state. Fault injection (5xx, slow, reset, malformed,
spurious UNKNOWN) applies to /api/v1 calls only, never to result downloads or /_sim controls.
"""

import argparse
import dataclasses
import hashlib
import json
import random
import re
import secrets
import threading
import time
import types
import typing
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gallery.dashscope.simulator_images import (
    RESULT_PATH,
    OssError,
    check_signature,
    render_png,
    signed_url,
)

BEIJING = timezone(timedelta(hours=8))
SUBMIT_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
TASK_PATH = re.compile(r"/api/v1/tasks/([^/]+)")
CANCEL_PATH = re.compile(r"/api/v1/tasks/([^/]+)/cancel")
MAX_SEED = 2147483647
RATE_QUOTA = (429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
# sic: "occured" is DashScope's own spelling.
INTERNAL = "An internal error has occured, please try again later or contact service support."
EXTEND_PHRASES = ("soft natural light", "highly detailed", "rich colours", "cinematic framing")
EXTEND_PHRASES += ("shallow depth of field", "gentle film grain", "balanced contrast")


@dataclass(frozen=True)
class ModelSpec:
    prompt_max: int
    default_size: str
    pixel_rule: bool  # wan2.5 bounds the pixel count and aspect ratio, the others each side


MODELS = {
    "wan2.5-t2i-preview": ModelSpec(2000, "1280*1280", pixel_rule=True),
    "wan2.2-t2i-plus": ModelSpec(800, "1024*1024", pixel_rule=False),
    "wan2.2-t2i-flash": ModelSpec(800, "1024*1024", pixel_rule=False),
    "wanx2.1-t2i-plus": ModelSpec(800, "1024*1024", pixel_rule=False),
    "wanx2.1-t2i-turbo": ModelSpec(800, "1024*1024", pixel_rule=False),
    "wanx2.0-t2i-turbo": ModelSpec(800, "1024*1024", pixel_rule=False),
}


def _opt(default: Any, help: str) -> Any:
    # The help text lives on the field, so the CLI flags are generated from the dataclass.
    return field(default=default, metadata={"help": help})


@dataclass
class SimulatorConfig:
    pending_seconds: float = _opt(0.5, "time a task stays PENDING")
    running_seconds: float = _opt(2.0, "time a task stays RUNNING")
    running_jitter: float = _opt(0.0, "running time varies uniformly by +/- this")
    extend_seconds: float = _opt(0.0, "extra RUNNING time when prompt_extend is on")
    concurrency_limit: int = _opt(2, "PENDING/RUNNING tasks per (key, model); more -> 429")
    submit_rate: float = _opt(2.0, "submits per second per (key, model); 0 = unlimited")
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
    valid_keys: list[str] | None = _opt(None, "accepted keys (default: any key starting sk-)")
    arrearage: bool = _opt(False, "every call answers 400 Arrearage")
    random_seed: int | None = _opt(None, "seed of the RNG behind faults, jitter and seeds")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


@dataclass
class _Task:
    task_id: str
    key: str
    model: str
    prompt: str
    n: int
    seed: int
    width: int
    height: int
    prompt_extend: bool
    watermark: bool
    submitted_at: float
    started_at: float  # leaves PENDING
    finished_at: float  # leaves RUNNING, unless canceled first
    outcome: str  # SUCCEEDED or FAILED, fixed at submit so a task's story never changes
    failed_images: int
    canceled_at: float | None = None

    def status(self, now: float) -> str:
        if self.canceled_at is not None:
            return "CANCELED"
        if now < self.started_at:
            return "PENDING"
        return "RUNNING" if now < self.finished_at else self.outcome

    def scheduled_at(self, now: float) -> float | None:
        """When it left PENDING; None while pending or if canceled first."""
        if self.started_at > min(now, self.canceled_at or now):
            return None
        return self.started_at

    def ended_at(self, now: float) -> float | None:
        if self.canceled_at is not None:
            return self.canceled_at
        return self.finished_at if now >= self.finished_at else None


class SimulatorServer:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, config: SimulatorConfig | None = None
    ) -> None:
        self.config = config or SimulatorConfig()
        self.log_requests = False  # the CLI turns this on
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)  # signs result URLs; dies with the server
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.simulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self._serving = False
        self.reset()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api/v1"

    def start(self) -> None:
        # The socket already listens (bound in __init__), so callers may connect at once.
        self._serving = True  # so that a stop() right away still ends the loop
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.02)  # short poll: stop() is quick
        finally:
            self._serving = False

    def stop(self) -> None:
        if self._serving:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def reset(self) -> None:
        with self._lock:
            self._rng = random.Random(self.config.random_seed)
            self._tasks: dict[str, _Task] = {}
            self._buckets: dict[tuple, tuple[float, float]] = {}
            self._submits_by_key: Counter[str] = Counter()
            self._rejected: Counter[str] = Counter()
            self._gets_by_task: Counter[str] = Counter()
            self._max_concurrent = 0

    def stats(self) -> dict:
        now = time.time()
        with self._lock:
            tasks = {
                t.task_id: {
                    "status": self._status(t, now),
                    "model": t.model,
                    "n": t.n,
                    "prompt": t.prompt,
                    "submitted_at": t.submitted_at,
                    "started_at": t.scheduled_at(now),
                    "ended_at": t.ended_at(now),
                }
                for t in self._tasks.values()
            }
            return {
                "submits": sum(self._submits_by_key.values()),
                "submits_by_key": dict(self._submits_by_key),
                "rejected": dict(self._rejected),
                "gets": sum(self._gets_by_task.values()),
                "gets_by_task": dict(self._gets_by_task),
                "max_concurrent": self._max_concurrent,
                "tasks": tasks,
            }

    def update_config(self, changes: Mapping[str, Any]) -> None:
        """Apply a JSON object of config fields (the /_sim/config control)."""
        types_by_name = {f.name: f.type for f in dataclasses.fields(SimulatorConfig)}
        for name, value in changes.items():
            if not _json_fits(types_by_name.get(name), value):
                raise ValueError(f"unknown field or bad value: {name}={value!r}")
        for name, value in changes.items():
            setattr(self.config, name, value)
        if "random_seed" in changes:
            with self._lock:
                self._rng = random.Random(self.config.random_seed)

    def begin_api_call(self, method: str, path: str) -> tuple[str | None, bool]:
        """Count a poll, then draw the faults of one API call: (fault, slow).

        fault is None, "reset", "5xx" or "malformed"; slow delays whatever answer follows.
        """
        c = self.config
        with self._lock:
            if method == "GET" and (m := TASK_PATH.fullmatch(path)):
                self._gets_by_task[m[1]] += 1  # every poll counts, whatever it is answered
            slow = self._roll(c.slow_rate)
            for fault, rate in (("reset", c.reset_rate), ("5xx", c.error_rate_5xx)):
                if self._roll(rate):
                    return fault, slow
            return ("malformed" if self._roll(c.malformed_rate) else None), slow

    def _roll(self, rate: float) -> bool:
        # No draw at rate 0, so turning one knob on does not shift the others' sequence.
        return rate > 0 and self._rng.random() < rate

    def count_rejected(self, code: str) -> None:
        with self._lock:
            self._rejected[code] += 1

    # --- the API ---------------------------------------------------------------------------

    def handle_api(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, host: str
    ) -> dict:
        """Answer one /api/v1 call with a 200 body, or raise ApiError."""
        if method == "POST" and path == SUBMIT_PATH:
            call, args = self._submit, (headers, body)
        elif method == "POST" and (m := CANCEL_PATH.fullmatch(path)):
            call, args = self._cancel, (m[1],)
        elif method == "GET" and (m := TASK_PATH.fullmatch(path)):
            call, args = self._query, (m[1], host)
        elif method == "GET" and path == "/api/v1/tasks":
            call, args = self._list, (parse_qs(query),)
        else:
            raise ApiError(404, "NotFound", f"{method} {path} is not an API of this service.")
        if self.config.arrearage:
            message = "Access denied, please make sure your account is in good standing."
            raise ApiError(400, "Arrearage", message)
        # Any valid key may read any task: keys stand for accounts only in the limits.
        scheme, _, key = headers.get("Authorization", "").partition(" ")
        valid = self.config.valid_keys
        bad_key = not key.startswith("sk-") or (valid is not None and key not in valid)
        if scheme.lower() != "bearer" or bad_key:
            raise ApiError(401, "InvalidApiKey", "Invalid API-key provided.")
        return call(key, *args)

    def _submit(self, key: str, headers: Mapping[str, str], body: bytes) -> dict:
        if headers.get("X-DashScope-Async", "").lower() != "enable":
            message = "current user api does not support synchronous calls"
            raise ApiError(403, "AccessDenied", message)
        req = _parse_request(body, self.config.inspection_word)
        c, now = self.config, time.time()
        with self._lock:
            slot = (key, req["model"])
            busy = sum(
                (t.key, t.model) == slot and t.status(now) in ("PENDING", "RUNNING")
                for t in self._tasks.values()
            )
            if busy >= c.concurrency_limit:
                raise ApiError(429, "Throttling", "Requests throttling triggered.")
            if not self._take(("submit", *slot), c.submit_rate, now):
                raise ApiError(*RATE_QUOTA)
            if req["seed"] is None:
                req["seed"] = self._rng.randint(0, MAX_SEED)
            running = c.running_seconds + self._rng.uniform(-1, 1) * c.running_jitter
            running = max(0.0, running) + (c.extend_seconds if req["prompt_extend"] else 0.0)
            word = c.output_inspection_word.lower()
            task = _Task(
                task_id=str(uuid.uuid4()),
                key=key,
                **req,
                submitted_at=now,
                started_at=now + c.pending_seconds,
                finished_at=now + c.pending_seconds + running,
                outcome="FAILED" if word and word in req["prompt"].lower() else "SUCCEEDED",
                failed_images=1 if c.partial_failure and req["n"] > 1 else 0,
            )
            self._tasks[task.task_id] = task
            self._submits_by_key[key] += 1
            self._max_concurrent = max(self._max_concurrent, busy + 1)
        return {"output": {"task_status": "PENDING", "task_id": task.task_id}}

    def _query(self, key: str, task_id: str, host: str) -> dict:
        now = time.time()
        with self._lock:
            if not self._take(("query", key), self.config.query_rate, now):
                raise ApiError(*RATE_QUOTA)
            task = self._tasks.get(task_id)
            status = self._status(task, now) if task else "UNKNOWN"
            if status != "UNKNOWN" and self._roll(self.config.unknown_rate):
                status = "UNKNOWN"
        if task is None or status == "UNKNOWN":
            return {"output": {"task_id": task_id, "task_status": "UNKNOWN"}}
        output: dict[str, Any] = {
            "task_id": task_id,
            "task_status": status,
            "submit_time": _beijing(task.submitted_at),
        }
        if (scheduled := task.scheduled_at(now)) is not None:
            output["scheduled_time"] = _beijing(scheduled)
        if (ended := task.ended_at(now)) is not None:
            output["end_time"] = _beijing(ended)
        output["task_metrics"] = {"TOTAL": task.n, "SUCCEEDED": 0, "FAILED": 0}
        if status == "FAILED":
            output["task_metrics"]["FAILED"] = task.n
            output["code"] = "DataInspectionFailed"
            output["message"] = "Output data may contain inappropriate content."
        if status != "SUCCEEDED":
            return {"output": output}
        good = task.n - task.failed_images
        output["task_metrics"].update(SUCCEEDED=good, FAILED=task.failed_images)
        expires = int(task.finished_at + self.config.url_ttl_seconds)
        output["results"] = [
            self._result(task, i, expires, host) if i < good else _image_timeout()
            for i in range(task.n)
        ]
        return {"output": output, "usage": {"image_count": good}}

    def _result(self, task: _Task, index: int, expires: int, host: str) -> dict:
        item = {"orig_prompt": task.prompt}
        if task.prompt_extend:
            item["actual_prompt"] = _extend_prompt(task.prompt)
        item["url"] = signed_url(self._secret, host, task.task_id, index, expires)
        return item

    def _cancel(self, key: str, task_id: str) -> dict:
        # An unknown or expired id answers like any task that is not PENDING (its status is
        # UNKNOWN) rather than with a 404 that the API reference never mentions for this call.
        now = time.time()
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or self._status(task, now) != "PENDING":
                message = (
                    "Failed to cancel the task, please confirm if the task is in PENDING status."
                )
                raise ApiError(400, "UnsupportedOperation", message)
            task.canceled_at = now
        return {}

    def _list(self, key: str, params: dict[str, list[str]]) -> dict:
        filters = {name: params[name][0] for name in ("status", "model_name") if name in params}
        try:
            page_no = int(params.get("page_no", ["1"])[0])
            page_size = int(params.get("page_size", ["10"])[0])
        except ValueError:
            raise _invalid("page_no and page_size must be integers.") from None
        if page_no < 1 or not 1 <= page_size <= 100:
            raise _invalid("page_no must be at least 1 and page_size from 1 to 100.")
        try:  # the submit-time window, Beijing-local YYYYMMDDhhmmss, both ends included
            since, until = (
                _from_list_time(params[name][0]) if name in params else default
                for name, default in (("start_time", 0.0), ("end_time", float("inf")))
            )
        except ValueError:
            raise _invalid("start_time and end_time must look like YYYYMMDDhhmmss.") from None
        now = time.time()
        with self._lock:
            if not self._take(("query", key), self.config.query_rate, now):
                raise ApiError(*RATE_QUOTA)
            rows = []
            for t in sorted(self._tasks.values(), key=lambda t: -t.submitted_at):
                row = {"task_id": t.task_id, "status": self._status(t, now), "model_name": t.model}
                # Skip other keys' tasks, expired ones and any that a filter does not match.
                if t.key != key or row["status"] == "UNKNOWN" or filters.items() - row.items():
                    continue
                if not since <= int(t.submitted_at) <= until:
                    continue
                ended = t.ended_at(now)
                row["start_time"] = _beijing(t.submitted_at)
                row["end_time"] = None if ended is None else _beijing(ended)
                rows.append(row)
        page = rows[(page_no - 1) * page_size : page_no * page_size]
        return {"data": page, "total": len(rows), "page_no": page_no, "page_size": page_size}

    def _status(self, task: _Task, now: float) -> str:
        if now - task.submitted_at > self.config.task_ttl_seconds:
            return "UNKNOWN"
        return task.status(now)

    def _take(self, bucket: tuple, rate: float, now: float) -> bool:
        """Token bucket: bursts of up to `rate` calls, refilled at `rate` per second."""
        if rate <= 0:
            return True
        capacity = max(1.0, rate)
        tokens, last = self._buckets.get(bucket, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        self._buckets[bucket] = (tokens - 1 if tokens >= 1 else tokens, now)
        return tokens >= 1

    def result_image(self, task_id: str, index: int, query: str) -> bytes:
        """The PNG behind a signed result URL; raises OssError as OSS would answer."""
        check_signature(self._secret, task_id, index, query)
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or index >= task.n - task.failed_images:
            raise OssError(404, "NoSuchKey", "The specified key does not exist.")
        return render_png(task.prompt, task.seed + index, task.width, task.height, task.watermark)


def _parse_request(body: bytes, inspection_word: str) -> dict:
    """Validate a create-task body as the real API does; returns the task's parameters."""
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _invalid("The request body must be a JSON object.")
    model = MODELS.get(data["model"]) if isinstance(data.get("model"), str) else None
    if model is None:
        raise _invalid("Model not exist.")
    task_input, params = data.get("input"), data.get("parameters") or {}
    if not isinstance(task_input, dict) or not isinstance(params, dict):
        raise _invalid("input must be an object holding the prompt; parameters an object.")
    prompt = task_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _invalid("input.prompt is required and must be a non-empty string.")
    negative = task_input.get("negative_prompt")
    if negative is not None and (not isinstance(negative, str) or len(negative) > 500):
        raise _invalid("input.negative_prompt must be a string of at most 500 characters.")
    width, height = _parse_size(params.get("size", model.default_size), model)
    n, seed = params.get("n", 4), params.get("seed")
    if not _is_int(n) or not 1 <= n <= 4:
        raise _invalid(f"parameters.n must be an integer from 1 to 4, got {n!r}.")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= MAX_SEED):
        raise _invalid(f"parameters.seed must be an integer from 0 to {MAX_SEED}, got {seed!r}.")
    flags = {"prompt_extend": params.get("prompt_extend", True)}
    flags["watermark"] = params.get("watermark", False)
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise _invalid(f"parameters.{name} must be a boolean, got {value!r}.")
    if inspection_word and inspection_word.lower() in prompt.lower():
        raise ApiError(400, "DataInspectionFailed", "Input data may contain inappropriate content.")
    return {
        "model": data["model"],
        "prompt": prompt[: model.prompt_max],  # DashScope cuts a long prompt without a word
        "n": n,
        "seed": seed,
        "width": width,
        "height": height,
        **flags,
    }


def _parse_size(size: Any, model: ModelSpec) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,5})\*(\d{1,5})", size) if isinstance(size, str) else None
    if m is None:
        raise _invalid(f"parameters.size must look like '1024*1024', got {size!r}.")
    w, h = int(m[1]), int(m[2])
    if model.pixel_rule:
        if not 768 * 768 <= w * h <= 1440 * 1440:
            raise _invalid(
                f"parameters.size {size} has {w * h} pixels; "
                "it needs between 768*768 and 1440*1440."
            )
        if max(w, h) > 4 * min(w, h):
            raise _invalid(f"parameters.size {size}: the aspect ratio must be from 1:4 to 4:1.")
    elif not (512 <= w <= 1440 and 512 <= h <= 1440):
        raise _invalid(f"parameters.size {size}: width and height must each be 512 to 1440.")
    return w, h


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _image_timeout() -> dict:
    return {"code": "InternalError.Timeout", "message": "An internal timeout error has occurred."}


def _beijing(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _from_list_time(value: str) -> float:
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).timestamp()


def _extend_prompt(prompt: str) -> str:
    """A stand-in for the LLM rewrite: the prompt plus phrases chosen by its hash."""
    h = hashlib.sha256(prompt.encode()).digest()
    picks = dict.fromkeys(EXTEND_PHRASES[b % len(EXTEND_PHRASES)] for b in h[:3])
    return f"{prompt}, {', '.join(picks)}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK pools connections
    timeout = 60  # drop idle keep-alive connections, as real servers do

    @property
    def sim(self) -> SimulatorServer:
        return self.server.simulator  # type: ignore[attr-defined]

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        if url.path.startswith("/_sim/"):
            self._control(url.path, body)
        elif self.command == "GET" and (m := RESULT_PATH.fullmatch(url.path)):
            try:
                png = self.sim.result_image(m[1], int(m[2]), url.query)
            except OssError as e:
                self._send(e.status, e.xml(), "application/xml")
            else:
                self._send(200, png, "image/png")
        else:
            self._api(url.path, url.query, body)

    do_GET = do_POST = _dispatch

    def _api(self, path: str, query: str, body: bytes) -> None:
        fault, slow = self.sim.begin_api_call(self.command, path)
        if slow:
            time.sleep(self.sim.config.slow_seconds)
        if fault == "reset":
            self.close_connection = True  # hang up without a word
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            if fault == "5xx":
                raise ApiError(500, "InternalError", INTERNAL)
            status = 200
            payload = self.sim.handle_api(self.command, path, query, self.headers, body, host)
        except ApiError as e:
            self.sim.count_rejected(e.code)
            status, payload = e.status, {"code": e.code, "message": e.message}
        if fault == "malformed" and status == 200:
            # The call took effect (a submit made its task); only the answer is cut short.
            self._send(200, b'{"request_id": "', "application/json")
            return
        self._send_json(status, {"request_id": str(uuid.uuid4()), **payload})

    def _control(self, path: str, body: bytes) -> None:
        route = (self.command, path)
        if route == ("GET", "/_sim/stats"):
            self._send_json(200, self.sim.stats())
        elif route == ("POST", "/_sim/config"):
            try:
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object")
                self.sim.update_config(changes)
            except ValueError as e:
                self._send_json(400, {"error": str(e)})
            else:
                self._send_json(200, dataclasses.asdict(self.sim.config))
        elif route == ("GET", "/_sim/config"):
            self._send_json(200, dataclasses.asdict(self.sim.config))
        elif route == ("POST", "/_sim/reset"):
            self.sim.reset()
            self._send_json(200, {"reset": True})
        else:
            self._send_json(404, {"error": f"no control {self.command} {path}"})

    def _send_json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.log_requests:
            super().log_message(format, *args)


def _non_none(annotation: Any) -> Any:
    """int for `int | None`; the annotation itself otherwise."""
    if isinstance(annotation, types.UnionType):
        return next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _json_fits(annotation: Any, value: Any) -> bool:
    """Whether a JSON value suits a config field annotated so (None: no such field)."""
    if annotation is None:
        return False
    kind = _non_none(annotation)
    if value is None:
        return kind is not annotation  # only optional fields take null
    if kind is bool or isinstance(value, bool):  # JSON true is no number here
        return kind is bool and isinstance(value, bool)
    if typing.get_origin(kind) is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, (int, float) if kind is float else kind)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--host, --port and one flag per SimulatorConfig field (shared with the Django command)."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    for f in dataclasses.fields(SimulatorConfig):
        flag, kind = "--" + f.name.replace("_", "-"), _non_none(f.type)
        kwargs: dict[str, Any] = {"default": f.default, "help": f.metadata["help"]}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            kwargs["nargs"] = "+"
        else:
            kwargs["type"] = kind
        parser.add_argument(flag, **kwargs)


def config_from_options(options: Mapping[str, Any]) -> SimulatorConfig:
    """A config from parsed flags (argparse's namespace as a dict, or Django's options)."""
    names = {f.name for f in dataclasses.fields(SimulatorConfig)}
    return SimulatorConfig(**{k: v for k, v in options.items() if k in names})


def run(options: Mapping[str, Any], announce: Callable[[str], None], log: bool = True) -> None:
    """Serve in the foreground until Ctrl-C, for the CLI and the Django command."""
    server = SimulatorServer(options["host"], options["port"], config_from_options(options))
    server.log_requests = log
    try:
        announce(f"DashScope simulator at {server.base_url}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulate DashScope's Wan text-to-image API.")
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
