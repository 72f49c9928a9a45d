"""How fast the dispatcher may ask DashScope: rate limits, backoff, and each task's next query.

`polling.py` holds the arithmetic of a query schedule; this module feeds it what the database
knows (how long a model's recent tasks took) and keeps the dispatcher within DashScope's rates.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from . import polling
from .models import Generation

WINDOW_TTL = 30.0  # seconds a model's expected task window is reused before it is learned again


class RateLimiter:
    """A token bucket: at most `rate` events per second, with bursts of up to `rate`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(rate, 1.0)
        self.updated = time.monotonic()

    def ready(self) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        self.tokens = min(max(self.rate, 1.0), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens >= 1

    def take(self) -> None:
        self.tokens -= 1


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4 … 30 s."""
    return timedelta(seconds=min(30.0, 2 ** max(0, attempt - 1)) * random.uniform(0.75, 1.25))


class PollSchedule:
    """When to query a task next, from how long its model's recent tasks took."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, tuple[float, float]]] = {}  # model -> (when, window)

    def first_query_after(self, model: str) -> float:
        """Seconds after submission of a new task's first query."""
        return polling.next_query_at(0, 0, self._expected_window(model))

    def next_query_at(self, record: Generation, now: datetime, queries_done: int) -> datetime:
        elapsed = (now - record.submitted_at).total_seconds()
        at = polling.next_query_at(elapsed, queries_done, self._expected_window(record.model))
        return record.submitted_at + timedelta(seconds=at)

    def learn(self, model: str) -> None:
        """A task of `model` just ended: let the next prediction include it."""
        self.windows.pop(model, None)

    def _expected_window(self, model: str) -> tuple[float, float]:
        computed_at, window = self.windows.get(model, (0.0, (0.0, 0.0)))
        if time.monotonic() - computed_at > WINDOW_TTL:
            recent = (
                Generation.objects.filter(model=model, task_seconds__isnull=False)
                .order_by("-finished_at")
                .values_list("task_seconds", flat=True)[: polling.HISTORY]
            )
            window = polling.expected_window(list(recent))
            self.windows[model] = (time.monotonic(), window)
        return window
