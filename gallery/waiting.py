"""What a generation that has not finished can say about its wait: its place in this
installation's queue (the order records of its model were made: the fair queue,
gallery/fair_queue.py, may send another user's sooner) and how long recent tasks of its model
took."""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache

from .models import Generation

Status = Generation.Status
RECENT_TASKS = 20  # the usual time is the median of this many recent tasks of the model


@dataclass(frozen=True)
class Wait:
    place: int | None  # 1 for the next one sent; None once it has left the queue
    usual: timedelta | None  # from sending to stored, for recent tasks; None without any


def note_waits(generations) -> None:
    """Set `wait` on each active one of `generations` (a page of a listing, or one card), in
    one query for their places and one per model for the usual times (cached)."""
    active = [generation for generation in generations if generation.is_active]
    queued = {generation.model for generation in active if generation.status == Status.QUEUED}
    queue = defaultdict(list)  # model → when each record queued here was made, oldest first
    if queued:
        rows = Generation.objects.filter(status=Status.QUEUED, model__in=queued)
        for model, created_at in rows.order_by("created_at").values_list("model", "created_at"):
            queue[model].append(created_at)
    usual = {model: usual_time(model) for model in {generation.model for generation in active}}
    for generation in active:
        place = None
        if generation.status == Status.QUEUED:  # its place, not a promise: the fair queue
            place = bisect.bisect_left(queue[generation.model], generation.created_at) + 1
        generation.wait = Wait(place=place, usual=usual[generation.model])


def usual_time(model: str) -> timedelta | None:
    """The median time from submit to images stored of the model's recent successful tasks."""
    kept_for = settings.USUAL_TIME_CACHED_SECONDS
    if kept_for:  # in a tuple: a model without any yet is cached too
        (seconds,) = cache.get_or_set(
            f"usual-time:{model}", lambda: (_median_seconds(model),), kept_for
        )
    else:  # 0: not kept, nor read from what others keep
        seconds = _median_seconds(model)
    return None if seconds is None else timedelta(seconds=seconds)


def _median_seconds(model: str) -> float | None:
    recent = (
        Generation.objects.filter(model=model, status=Status.SUCCEEDED, submitted_at__isnull=False)
        .exclude(completed_at=None)
        .order_by("-created_at")  # the queue's index finds them
        .values_list("submitted_at", "completed_at")[:RECENT_TASKS]
    )
    took = [(completed - submitted).total_seconds() for submitted, completed in recent]
    return statistics.median(took) if took else None
