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

PLAN_TTL = 30.0  # seconds a model's query plan is reused before it is made again


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
        self.plans: dict[str, tuple[float, polling.Plan]] = {}  # model -> (when made, plan)

    def first_query_after(self, model: str) -> float:
        """Seconds after submission of a new task's first query."""
        return self._plan(model).next_query_at(0)

    def next_query_at(self, record: Generation, now: datetime) -> datetime:
        elapsed = (now - record.submitted_at).total_seconds()
        planned = self._plan(record.model).next_query_at(elapsed)
        # An answer that came late (a busy machine) is not followed at once by the next query.
        return record.submitted_at + timedelta(seconds=max(planned, elapsed + polling.SHORTEST_GAP))

    def learn(self, model: str) -> None:
        """A task of `model` just ended: let the next plan include it."""
        self.plans.pop(model, None)

    def _plan(self, model: str) -> polling.Plan:
        made_at, plan = self.plans.get(model, (0.0, polling.Plan()))
        if time.monotonic() - made_at > PLAN_TTL:
            recent = (
                Generation.objects.filter(model=model, task_seconds__isnull=False)
                .order_by("-finished_at")
                .values_list("task_seconds", flat=True)[: polling.HISTORY]
            )
            plan = polling.plan(list(recent))
            self.plans[model] = (time.monotonic(), plan)
        return plan
