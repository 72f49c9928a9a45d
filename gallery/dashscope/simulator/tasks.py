"""The simulator's tasks and the per-key limits on them, behind one lock.

A task's story (when it starts, when it ends, how it ends) is fixed at submit, so its status is
derived from the clock whenever it is asked for and no background thread is needed. Callers pass
the time and the config on every call: a test may move the clock or swap the whole config.
"""

import dataclasses
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

from .config import SimulatorConfig
from .errors import ApiError, rate_quota, throttled
from .faults import Dice
from .models import SEED_MAX, limits
from .times import beijing
from .validation import ListQuery

UNFINISHED = ("PENDING", "RUNNING")


@dataclass(frozen=True)
class TaskRequest:
    """What a valid submit asks for, whichever protocol it came in."""

    model: str
    prompt: str
    n: int
    seed: int | None  # None: the simulator picks one at submit
    width: int
    height: int
    prompt_extend: bool
    watermark: bool
    protocol: str = "text2image"  # or "image-generation"
    references: tuple[bytes, ...] = ()  # thumbnails (PNG) of the reference images, in order
    image_set: bool = False  # enable_sequential: one choice of n images
    thinking: bool = False  # thinking_mode: slower, like prompt_extend
    sync: bool = False  # made by a synchronous call: finished at once, never listed


@dataclass
class Task:
    task_id: str
    key: str
    request: TaskRequest  # its seed always set
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


def task_fields(task: Task, status: str, now: float) -> dict:
    """What every query of a known task answers in `output`: its id, status and times."""
    fields = {
        "task_id": task.task_id,
        "task_status": status,
        "submit_time": beijing(task.submitted_at),
    }
    if (scheduled := task.scheduled_at(now)) is not None:
        fields["scheduled_time"] = beijing(scheduled)
    if (ended := task.ended_at(now)) is not None:
        fields["end_time"] = beijing(ended)
    return fields


class TaskBook:
    """Every task of one simulator, its rate buckets and the counters /_sim/stats shows."""

    def __init__(self, dice: Dice) -> None:
        self._lock = threading.Lock()
        self._dice = dice
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._tasks: dict[str, Task] = {}
            self._buckets: dict[tuple, tuple[float, float]] = {}
            self._submits_by_key: Counter[str] = Counter()
            self._rejected: Counter[str] = Counter()
            self._gets_by_task: Counter[str] = Counter()
            self._last_get: dict[str, float] = {}
            self._first_download: dict[str, float] = {}
            self._max_concurrent = 0

    def count_poll(self, task_id: str, now: float) -> None:
        with self._lock:
            self._gets_by_task[task_id] += 1
            self._last_get[task_id] = now

    def count_download(self, task_id: str, now: float) -> None:
        with self._lock:
            self._first_download.setdefault(task_id, now)

    def count_rejected(self, code: str) -> None:
        with self._lock:
            self._rejected[code] += 1

    def submit(self, key: str, request: TaskRequest, c: SimulatorConfig, now: float) -> Task:
        """A new task, or ApiError when its (key, model) has too many unfinished or too fast.

        A synchronous call's task is finished at once and passes no limit (DashScope documents
        none for qwen-image's synchronous calls, and none apart for the others')."""
        with self._lock:
            slot = (key, request.model)
            busy = sum(
                (t.key, t.request.model) == slot and t.status(now) in UNFINISHED
                for t in self._tasks.values()
            )
            documented = limits(request.model)  # unless the config sets one for every model
            concurrency = c.concurrency_limit
            concurrency = documented.concurrency if concurrency is None else concurrency
            rate = documented.submit_rate if c.submit_rate is None else c.submit_rate
            if not request.sync and busy >= concurrency:
                raise throttled()
            if not request.sync and not self._take(("submit", *slot), rate, now):
                raise rate_quota()
            if request.seed is None:
                request = dataclasses.replace(request, seed=self._dice.randint(0, SEED_MAX))
            running = c.running_seconds + self._dice.uniform(-1, 1) * c.running_jitter
            slower = request.prompt_extend or request.thinking
            running = max(0.0, running) + (c.extend_seconds if slower else 0.0)
            pending = c.pending_seconds
            if request.sync:
                pending = running = 0.0
            word = c.output_inspection_word.lower()
            task = Task(
                task_id=str(uuid.uuid4()),
                key=key,
                request=request,
                submitted_at=now,
                started_at=now + pending,
                finished_at=now + pending + running,
                outcome="FAILED" if word and word in request.prompt.lower() else "SUCCEEDED",
                failed_images=1 if c.partial_failure and request.n > 1 else 0,
            )
            self._tasks[task.task_id] = task
            self._submits_by_key[key] += 1
            if not request.sync:
                self._max_concurrent = max(self._max_concurrent, busy + 1)
        return task

    def query(
        self, key: str, task_id: str, c: SimulatorConfig, now: float
    ) -> tuple[Task | None, str]:
        """A task and the status a query answers: UNKNOWN for no such task, an expired one, or
        an unknown_rate fault."""
        with self._lock:
            if not self._take(("query", key), c.query_rate, now):
                raise rate_quota()
            task = self._tasks.get(task_id)
            status = self._status(task, c, now) if task else "UNKNOWN"
            if status != "UNKNOWN" and self._dice.roll(c.unknown_rate):
                status = "UNKNOWN"
        return task, status

    def cancel(self, task_id: str, c: SimulatorConfig, now: float) -> None:
        # An unknown or expired id answers like any task that is not PENDING (its status is
        # UNKNOWN) rather than with a 404 that the API reference never mentions for this call.
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or self._status(task, c, now) != "PENDING":
                message = (
                    "Failed to cancel the task, please confirm if the task is in PENDING status."
                )
                raise ApiError(400, "UnsupportedOperation", message)
            task.canceled_at = now

    def listing(self, key: str, q: ListQuery, c: SimulatorConfig, now: float) -> list[dict]:
        """This key's live tasks that match the query, newest first (every page of them)."""
        with self._lock:
            if not self._take(("query", key), c.query_rate, now):
                raise rate_quota()
            rows = []
            for t in sorted(self._tasks.values(), key=lambda t: -t.submitted_at):
                status = self._status(t, c, now)
                row = {"task_id": t.task_id, "status": status, "model_name": t.request.model}
                # Skip other keys' tasks, synchronous calls', expired ones and any that a
                # filter does not match.
                if t.key != key or t.request.sync or status == "UNKNOWN":
                    continue
                if q.filters.items() - row.items():
                    continue
                if not q.since <= int(t.submitted_at) <= q.until:
                    continue
                ended = t.ended_at(now)
                row["start_time"] = beijing(t.submitted_at)
                row["end_time"] = None if ended is None else beijing(ended)
                rows.append(row)
        return rows

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def stats(self, c: SimulatorConfig, now: float) -> dict:
        with self._lock:
            tasks = {
                t.task_id: {
                    "status": self._status(t, c, now),
                    "model": t.request.model,
                    "protocol": t.request.protocol,
                    "n": t.request.n,
                    "prompt": t.request.prompt,
                    "submitted_at": t.submitted_at,
                    "started_at": t.scheduled_at(now),
                    "ended_at": t.ended_at(now),
                    # The query that found it ended, once nobody asks again: a benchmark's
                    # "task end -> seen done".
                    "last_queried_at": self._last_get.get(t.task_id),
                    "first_downloaded_at": self._first_download.get(t.task_id),
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

    def _status(self, task: Task, c: SimulatorConfig, now: float) -> str:
        if now - task.submitted_at > c.task_ttl_seconds:
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
