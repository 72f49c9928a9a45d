"""Which queued record goes to DashScope next: free slots per model, taking turns between users."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q

from . import lifecycle
from .dashscope import catalog
from .models import Generation

Status = Generation.Status


def _sendable(now: datetime):
    """QUEUED records whose retry time, if any, has come."""
    return Generation.objects.filter(status=Status.QUEUED).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )


def free_slots(now: datetime) -> dict[str, int]:
    """For each model with a record to send: how many more tasks DashScope takes now."""
    models = set(_sendable(now).values_list("model", flat=True).distinct())
    if not models:
        return {}
    in_slots = _count_by(Generation.objects.at_dashscope(), "model")
    submitting = set(
        Generation.objects.filter(status=Status.SUBMITTING, model__in=models).values_list(
            "model", flat=True
        )
    )
    free = {}
    for model in models:
        free[model] = catalog.concurrency(model) - in_slots.get(model, 0)
        if catalog.MODELS[model].submits_one_at_a_time:
            free[model] = min(free[model], 0 if model in submitting else 1)
    return free


def claim_next(model: str, now: datetime) -> Generation | None:
    """Claim the next record of `model` for submitting, taking turns between users.

    The user with the fewest tasks at DashScope goes first, then the one who was served
    longest ago, then the one who has waited longest; each user's records go in order.
    """
    waiting = _sendable(now).filter(model=model)
    in_flight = _count_by(Generation.objects.at_dashscope(), "owner")
    owners = list(waiting.values("owner").annotate(oldest=Min("created_at")).order_by())
    last_served = dict(
        Generation.objects.filter(owner__in=[o["owner"] for o in owners])
        .values_list("owner")
        .annotate(last=Max("submitted_at"))
        .values_list("owner", "last")
    )
    never = now - timedelta(days=3650)
    owners.sort(
        key=lambda o: (
            in_flight.get(o["owner"], 0),
            last_served.get(o["owner"]) or never,
            o["oldest"],
        )
    )
    for owner in owners:
        record = waiting.filter(owner=owner["owner"]).order_by("created_at", "id").first()
        if record and lifecycle.claim_for_submit(record, now):
            return record
    return None


def _count_by(records, field: str) -> dict:
    return dict(records.values_list(field).annotate(n=Count("id")).values_list(field, "n"))
