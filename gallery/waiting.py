"""What a generation that has not finished can say about its wait: its place in this
installation's queue and how long recent tasks of its model took."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache

from .models import Generation

Status = Generation.Status
RECENT_TASKS = 20  # the usual time is the median of this many recent tasks of the model
USUAL_TIME_CACHED_SECONDS = 60  # an active card asks every second or so: once a minute is enough


@dataclass(frozen=True)
class Wait:
    place: int | None  # 1 for the next one sent; None once it has left the queue
    usual: timedelta | None  # from sending to stored, for recent tasks; None without any


def wait_of(generation: Generation) -> Wait:
    return Wait(place=place_in_queue(generation), usual=usual_time(generation.model))


def place_in_queue(generation: Generation) -> int | None:
    """Its place among the records of its model queued here, oldest first. The fair queue may
    send another user's record sooner (gallery/fair_queue.py): this is the place, not a promise."""
    if generation.status != Status.QUEUED:
        return None
    ahead = Generation.objects.filter(
        status=Status.QUEUED, model=generation.model, created_at__lt=generation.created_at
    ).count()
    return ahead + 1


def usual_time(model: str) -> timedelta | None:
    """The median time from submit to images stored of the model's recent successful tasks."""
    seconds = cache.get_or_set(
        f"usual-time:{model}", lambda: _median_seconds(model), USUAL_TIME_CACHED_SECONDS
    )
    return None if seconds is None else timedelta(seconds=seconds)


def _median_seconds(model: str) -> float | None:
    recent = (
        Generation.objects.filter(
            model=model, status=Status.SUCCEEDED, submitted_at__isnull=False
        )
        .exclude(completed_at=None)
        .order_by("-created_at")  # the queue's index finds them
        .values_list("submitted_at", "completed_at")[:RECENT_TASKS]
    )
    took = [(completed - submitted).total_seconds() for submitted, completed in recent]
    return statistics.median(took) if took else None
