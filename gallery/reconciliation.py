"""Finding out whether DashScope received a submit whose answer never arrived.

A POST that timed out, or a worker killed between sending it and saving the answer, leaves a
record whose task may or may not exist at DashScope. Sending it again could pay twice; giving up
could lose a paid image. DashScope's task list settles it: a task of the record's model, submitted
in its window, that no other record owns and whose results name the record's prompt, is the
record's task. When the window holds no task that anyone could be missing, DashScope never
received the record, and it can safely be sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .dashscope.client import DashScopeClient, TaskStatus
from .models import Generation

LISTING_DELAY = timedelta(seconds=5)  # a new task may take a moment to appear in the list
CLOCK_SKEW = timedelta(minutes=1)  # between this machine's clock and DashScope's


@dataclass(frozen=True)
class Finding:
    """What the task list says; neither field set means "cannot tell yet"."""

    task_id: str = ""  # DashScope has the record's task under this id
    absent: bool = False  # DashScope certainly never received the record


def find_task(client: DashScopeClient, record: Generation) -> Finding:
    listed = client.list_tasks(
        record.model, record.submitted_at - CLOCK_SKEW, timezone.now() + CLOCK_SKEW
    )
    owned = set(
        Generation.objects.filter(task_id__in=[task.task_id for task in listed]).values_list(
            "task_id", flat=True
        )
    )
    undecided = False
    for task in listed:
        if task.task_id in owned:
            continue
        if task.is_waiting:  # its prompt shows only in its results
            undecided = True
            continue
        state = client.fetch(task.task_id)
        if len(state.results) == record.n and any(
            result.orig_prompt == record.prompt for result in state.results
        ):
            return Finding(task_id=task.task_id)
        # A failed or canceled task does not say what it was asked; it might be this one.
        undecided = undecided or state.status != TaskStatus.SUCCEEDED
    return Finding(absent=not undecided)
