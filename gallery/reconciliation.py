"""Finding out whether DashScope received a submit whose answer never arrived.

A POST that timed out, or a worker killed between sending it and saving the answer, leaves a
record whose task may or may not exist at DashScope. Sending it again could pay twice; giving up
could lose a paid image. DashScope's task list settles it: a task of the record's model, submitted
in its window, that no other record owns and whose results name the record's prompt, is the
record's task. When the window holds no task that anyone could be missing, DashScope never
received the record, and it can safely be sent again.

The image-generation protocol's results do not name their prompt. Its models are sent one at
a time (catalog.Model.submits_one_at_a_time), so the record is the one submit of its model
whose answer is missing: the one task in the window no record owns is its task, none means
never received, and more than one cannot be told apart (a task made outside wanxweb).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .dashscope.catalog import MODELS
from .dashscope.client import DashScopeClient, TaskStatus
from .models import Generation

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
    unowned = [task for task in listed if task.task_id not in owned]
    if MODELS[record.model].submits_one_at_a_time:
        if len(unowned) == 1:
            return Finding(task_id=unowned[0].task_id)
        return Finding(absent=not unowned)
    undecided = False
    for task in unowned:
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
