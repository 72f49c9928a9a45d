"""Cancelling a generation: at once while queued here, through DashScope while PENDING there."""

from __future__ import annotations

from django.utils import timezone

from .dashscope.client import DashScopeClient
from .dashscope.errors import DashScopeError
from .models import Generation

Status = Generation.Status


def cancel(generation: Generation, client: DashScopeClient | None = None) -> str:
    """Try to cancel; returns what happened, in words for the person who asked."""
    now = timezone.now()
    cancelled = {"status": Status.CANCELED, "completed_at": now, "next_check_at": None}
    if generation.transition(Status.QUEUED, error_code="Canceled", **cancelled):
        return "Cancelled before it was sent to DashScope: nothing was charged."
    if generation.status == Status.PENDING and generation.task_id:
        client = client or DashScopeClient.from_settings()
        try:
            client.cancel(generation.task_id)
        except DashScopeError as error:
            if error.retryable:
                return "DashScope did not answer; try cancelling again in a moment."
            return "DashScope has already started it, so it can no longer be cancelled."
        generation.transition(Status.PENDING, error_code="Canceled", **cancelled)
        return "Cancelled at DashScope before it started: nothing was charged."
    if generation.status == Status.SUBMITTING:
        return "It is being sent to DashScope right now; try again in a moment."
    return "It has already started, so it can no longer be cancelled."
