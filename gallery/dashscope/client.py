"""The only code that speaks HTTP to DashScope, in both of its image protocols.

text2image V2 (`input.prompt` in, `output.results` out) and image-generation (`input.messages`
in, `output.choices` out) differ only in the body sent and the shape of a finished task; both
are asked asynchronously (the synchronous endpoints give no task id, so a lost answer could
never be recovered) and polled, cancelled and listed at /tasks alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import requests
from urllib3.exceptions import NewConnectionError

from .catalog import MODELS, Param, Protocol, Region
from .errors import DashScopeError, DashScopeUnavailable, ErrorCode

SUBMIT_PATHS = {
    Protocol.TEXT2IMAGE: "/services/aigc/text2image/image-synthesis",
    Protocol.IMAGE_GENERATION: "/services/aigc/image-generation/generation",
}
BEIJING = ZoneInfo("Asia/Shanghai")  # DashScope's timestamps are Beijing-local strings
LIST_PAGE_SIZE = 100  # the largest page the task list allows
TASK_LIFETIME = timedelta(hours=24)  # how long DashScope keeps a task id (and its results)


class TaskStatus(StrEnum):
    """A DashScope task's `task_status` (not our record's `Generation.Status`)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"  # no such task: never made, or expired after 24 h

    @classmethod
    def _missing_(cls, value):
        return cls.UNKNOWN  # a status this client does not know yet tells nothing either

    @property
    def is_waiting(self) -> bool:
        return self in (TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.SUSPENDED)


@dataclass(frozen=True)
class ImageRequest:
    model: str  # the catalog's name; the body has the region's
    prompt: str
    negative_prompt: str = ""
    width: int = 1024
    height: int = 1024
    size_name: str = ""  # "1K", "2K", "4K" instead of width × height (wan2.7)
    n: int = 1  # always sent: the models' own defaults differ (wan2.6: 4)
    seed: int | None = None
    prompt_extend: bool = True
    watermark: bool = False
    thinking_mode: bool = True  # only from text alone (no images, no set), as DashScope allows
    enable_sequential: bool = False  # an image set: up to 12 related images
    # [{"hex": "#C2D1E6", "ratio": "60.00%"}, …]: 3–10 colours summing to 100 %
    color_palette: list = field(default_factory=list)
    # Reference images as data: URIs, "image 1" first (not in the repr: megabytes).
    images: tuple[str, ...] = field(default=(), repr=False)
    # Per image, its boxes [[x1, y1, x2, y2], …] in its pixels ([] for none).
    bbox_list: tuple[list, ...] = ()

    @property
    def size(self) -> str:
        return self.size_name or f"{self.width}*{self.height}"

    def body(self, region: Region) -> dict:
        """The create-task body for this model's protocol, with only what the model takes."""
        spec = MODELS[self.model]
        chosen = {
            Param.NEGATIVE_PROMPT: self.negative_prompt or None,
            Param.PROMPT_EXTEND: self.prompt_extend,
            Param.WATERMARK: self.watermark,
            Param.SEED: self.seed,
            Param.THINKING_MODE: (
                None if self.images or self.enable_sequential else self.thinking_mode
            ),
            Param.ENABLE_SEQUENTIAL: True if self.enable_sequential else None,
            Param.COLOR_PALETTE: self.color_palette or None,
            Param.BBOX_LIST: list(self.bbox_list) if any(self.bbox_list) else None,
        }
        parameters = {"size": self.size, "n": self.n} | {
            str(param): value
            for param, value in chosen.items()
            if param in spec.takes and value is not None
        }
        name = spec.name_in(region)
        if spec.protocol is Protocol.TEXT2IMAGE:  # its negative prompt goes with the prompt
            task_input = {"prompt": self.prompt}
            if "negative_prompt" in parameters:
                task_input["negative_prompt"] = parameters.pop("negative_prompt")
            return {"model": name, "input": task_input, "parameters": parameters}
        content = [{"image": uri} for uri in self.images] + [{"text": self.prompt}]
        message = {"role": "user", "content": content}
        return {"model": name, "input": {"messages": [message]}, "parameters": parameters}


@dataclass(frozen=True)
class SubmittedTask:
    task_id: str
    status: TaskStatus
    request_id: str


@dataclass(frozen=True)
class ImageResult:
    """One entry of `output.results`: either a URL or a per-image error."""

    url: str = ""
    orig_prompt: str = ""
    actual_prompt: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class TaskState:
    task_id: str
    status: TaskStatus
    request_id: str = ""
    submit_time: datetime | None = None
    scheduled_time: datetime | None = None
    end_time: datetime | None = None
    results: list[ImageResult] = field(default_factory=list)
    code: str = ""
    message: str = ""
    image_count: int = 0

    @property
    def is_waiting(self) -> bool:
        return self.status.is_waiting

    @classmethod
    def from_body(cls, body: dict) -> TaskState:
        """A query's answer, in either protocol's shape."""
        output = body.get("output") or {}
        return cls(
            task_id=output.get("task_id", ""),
            status=TaskStatus(output.get("task_status", TaskStatus.UNKNOWN)),
            request_id=body.get("request_id", ""),
            submit_time=_parse_time(output.get("submit_time")),
            scheduled_time=_parse_time(output.get("scheduled_time")),
            end_time=_parse_time(output.get("end_time")),
            results=[
                ImageResult(
                    url=item.get("url", ""),
                    orig_prompt=item.get("orig_prompt", ""),
                    actual_prompt=item.get("actual_prompt", ""),
                    code=item.get("code", ""),
                    message=item.get("message", ""),
                )
                for item in output.get("results") or []
            ]
            + [
                ImageResult(url=item["image"])
                for choice in output.get("choices") or []
                for item in (choice.get("message") or {}).get("content") or []
                if item.get("image")  # an item may also be text
            ],
            # A failed image-generation task has them in `output` by its schema, at the top
            # level in one of its documented examples.
            code=output.get("code") or body.get("code", ""),
            message=output.get("message") or body.get("message", ""),
            image_count=(body.get("usage") or {}).get("image_count", 0),
        )


@dataclass(frozen=True)
class ListedTask:
    """One row of the task list: enough to find a task whose id was never received."""

    task_id: str
    status: TaskStatus

    @property
    def is_waiting(self) -> bool:
        return self.status.is_waiting


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=BEIJING)


class DashScopeClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        workspace: str = "",
        region: Region = Region.BEIJING,
        timeout: float = 15.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.region = region
        self.timeout = (min(timeout, 5.0), timeout)  # (connect, read)
        self.session = session or requests.Session()
        self._headers = {"Authorization": f"Bearer {api_key}"}
        if workspace:
            self._headers["X-DashScope-WorkSpace"] = workspace

    def __repr__(self) -> str:  # never show the key
        return f"<DashScopeClient {self.base_url}>"

    @classmethod
    def from_settings(cls) -> DashScopeClient:
        from django.conf import settings

        from .catalog import region

        return cls(
            settings.DASHSCOPE_BASE_URL,
            settings.DASHSCOPE_API_KEY,
            workspace=settings.DASHSCOPE_WORKSPACE,
            region=region(),
            timeout=settings.DASHSCOPE_TIMEOUT,
        )

    def submit(self, request: ImageRequest) -> SubmittedTask:
        body = self._call(
            "POST",
            SUBMIT_PATHS[MODELS[request.model].protocol],
            json=request.body(self.region),
            headers={"X-DashScope-Async": "enable"},
        )
        output = body.get("output") or {}
        if not output.get("task_id"):
            # A 200 without a task id: DashScope may or may not have queued it.
            raise DashScopeUnavailable(
                ErrorCode.MALFORMED_RESPONSE, "The answer held no task id.", maybe_received=True
            )
        return SubmittedTask(
            task_id=output["task_id"],
            status=TaskStatus(output.get("task_status", TaskStatus.PENDING)),
            request_id=body.get("request_id", ""),
        )

    def fetch(self, task_id: str) -> TaskState:
        return TaskState.from_body(self._call("GET", f"/tasks/{task_id}"))

    def list_tasks(self, model: str, start: datetime, end: datetime) -> list[ListedTask]:
        """Every task of this account for `model` (the catalog's name) submitted between
        `start` and `end`."""
        window = {
            "model_name": MODELS[model].name_in(self.region),
            "start_time": start.astimezone(BEIJING).strftime("%Y%m%d%H%M%S"),
            "end_time": end.astimezone(BEIJING).strftime("%Y%m%d%H%M%S"),
            "page_size": LIST_PAGE_SIZE,
        }
        tasks: list[ListedTask] = []
        page_no = 1
        while True:
            body = self._call("GET", "/tasks", params={**window, "page_no": page_no})
            rows = body.get("data") or []
            tasks += [
                ListedTask(row["task_id"], TaskStatus(row.get("status", TaskStatus.UNKNOWN)))
                for row in rows
            ]
            if len(rows) < LIST_PAGE_SIZE or len(tasks) >= body.get("total", 0):
                return tasks
            page_no += 1

    def cancel(self, task_id: str) -> None:
        """Cancel a task; DashScope allows this only while it is PENDING."""
        self._call("POST", f"/tasks/{task_id}/cancel")

    def _call(self, method: str, path: str, **kwargs) -> dict:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        try:
            response = self.session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.ConnectTimeout:
            raise DashScopeUnavailable(
                ErrorCode.CONNECT_TIMEOUT,
                "Could not connect to DashScope in time.",
                maybe_received=False,
            ) from None
        except requests.Timeout:
            raise DashScopeUnavailable(
                ErrorCode.READ_TIMEOUT, "DashScope did not answer in time.", maybe_received=True
            ) from None
        except requests.ConnectionError as exc:
            refused = _is_connection_refused(exc)
            raise DashScopeUnavailable(
                ErrorCode.CONNECTION_ERROR,
                "Could not connect to DashScope." if refused else "The connection was broken.",
                maybe_received=not refused,
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok:
            if not isinstance(body, dict):
                raise DashScopeUnavailable(
                    ErrorCode.MALFORMED_RESPONSE,
                    "DashScope's answer was not JSON.",
                    maybe_received=True,
                )
            return body
        body = body if isinstance(body, dict) else {}
        raise DashScopeError(
            body.get("code") or f"HTTP{response.status_code}",
            body.get("message") or response.reason or "",
            status=response.status_code,
            request_id=body.get("request_id", ""),
        )


def _is_connection_refused(exc: requests.ConnectionError) -> bool:
    """True when the request never left this machine (so it certainly created nothing)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, NewConnectionError)
