"""Every change of a generation's status, in one place.

    QUEUED ─▶ SUBMITTING ─▶ PENDING ⇄ RUNNING ─▶ DOWNLOADING ─▶ SUCCEEDED
       ▲          │            │          │            │
       └──────────┘            └──────────┴────────────┴─▶ FAILED | CANCELED

Each change is a conditional update: it happens only while the record is still in the status
the caller saw, and whoever gets True owns the step. That is what keeps two workers (or two
clusters) from both acting on one record. The dispatcher decides *when* to ask DashScope; the
functions here decide what each answer means for the record.

Each active status has a time field of its own, empty in every other status (`DUE_FIELDS`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from . import usage
from .dashscope.client import (
    TASK_LIFETIME,
    SubmittedTask,
    TaskState,
    TaskStatus,
)
from .dashscope.errors import DashScopeError, ErrorCode
from .models import Generation
from .pacing import PollSchedule, backoff
from .reconciliation import Finding

log = logging.getLogger(__name__)
Status = Generation.Status
CancelRequest = Generation.CancelRequest

DUE_FIELDS = {
    Status.QUEUED: "retry_at",
    Status.SUBMITTING: "reconcile_at",
    Status.PENDING: "poll_at",
    Status.RUNNING: "poll_at",
    Status.DOWNLOADING: "store_claimed_until",
}
MAX_SUBMIT_RETRIES = 8  # for server errors; throttling is retried until GENERATION_MAX_AGE
STORE_RETRY_AFTER = timedelta(seconds=30)  # after a passing network problem; links last 24 h
WATCHED = Generation.WATCHED


def _changes(changes: dict) -> dict:
    """`changes`, emptying the time fields that do not belong to the new status (and the
    time DashScope first answered UNKNOWN, which belongs to no status)."""
    if "status" in changes:
        for field in set(DUE_FIELDS.values()) - {DUE_FIELDS.get(changes["status"])}:
            changes.setdefault(field, None)
        changes.setdefault("unknown_since", None)
    return changes


def _move(record: Generation, from_statuses: Status | Iterable[Status], **changes) -> bool:
    """Change `record` only if it is still in one of `from_statuses`."""
    if isinstance(from_statuses, str):
        from_statuses = [from_statuses]
    changes = _changes(changes)
    won = Generation.objects.filter(pk=record.pk, status__in=from_statuses).update(**changes)
    if won:
        for name, value in changes.items():
            setattr(record, name, value)
    return bool(won)


def _fail(record: Generation, from_statuses, code: str, message: str = "", **changes) -> bool:
    return _move(
        record,
        from_statuses,
        status=Status.FAILED,
        error_code=code,
        error_message=message,
        completed_at=timezone.now(),
        **changes,
    )


# -- sending ---------------------------------------------------------------------------------


def claim_for_submit(record: Generation, now: datetime) -> bool:
    """QUEUED → SUBMITTING: this caller will POST it."""
    return _move(
        record,
        Status.QUEUED,
        status=Status.SUBMITTING,
        submitted_at=now,
        submit_attempts=record.submit_attempts + 1,
        # The POST is answered or given up well before this; then the task list is read.
        reconcile_at=now + timedelta(seconds=2 * settings.DASHSCOPE_TIMEOUT + 10),
    )


def task_created(record: Generation, task: SubmittedTask, first_query_after: float) -> bool:
    """SUBMITTING → PENDING with the task id DashScope just gave; saved at once, in the thread
    that made the POST, so a task DashScope accepted is never forgotten.

    Also from FAILED "outcome unknown": a sweep that gave up on this call too early must not
    lose it. Never over a task id already saved (one found in the task list meanwhile).
    """
    sent = Q(status=Status.SUBMITTING) | Q(
        status=Status.FAILED, error_code=ErrorCode.SUBMIT_OUTCOME_UNKNOWN
    )
    # The query plan counts from here, as DashScope's task times count from its acceptance:
    # the POST's own time (and any wait for a thread to send it) would move every query early.
    accepted = timezone.now() if record.status == Status.SUBMITTING else record.submitted_at
    changes = _changes(
        {
            "status": Status.PENDING,
            "task_id": task.task_id,
            "request_id": task.request_id,
            "error_code": "",
            "error_message": "",
            "completed_at": None,
            "submitted_at": accepted,
            "poll_at": accepted + timedelta(seconds=first_query_after),
        }
    )
    return bool(Generation.objects.filter(sent, pk=record.pk, task_id="").update(**changes))


def submit_answered(record: Generation, outcome: SubmittedTask | DashScopeError) -> None:
    """Settle a submit that failed (a success was saved by `task_created` already)."""
    if isinstance(outcome, SubmittedTask):
        return
    now = timezone.now()
    if outcome.maybe_received:
        # DashScope may have the task (and bill it): never resend blindly; the sweep looks
        # for it in DashScope's task list first.
        log.warning("generation %s: submit outcome unknown (%s)", record.pk, outcome.code)
        delay = timedelta(seconds=settings.DASHSCOPE_LISTING_DELAY_SECONDS)
        _move(record, Status.SUBMITTING, reconcile_at=now + delay)
    elif outcome.retryable and (
        outcome.status == 429 or record.submit_attempts < MAX_SUBMIT_RETRIES
    ):
        _move(
            record,
            Status.SUBMITTING,
            status=Status.QUEUED,
            retry_at=now + backoff(record.submit_attempts),
        )
    else:
        _fail(record, Status.SUBMITTING, outcome.code, outcome.message)


def reconciled(record: Generation, outcome: Finding | DashScopeError) -> None:
    """What DashScope's task list said of a submit whose answer was lost: adopt the task it
    made, send the record again if it made none, or wait and look again."""
    now = timezone.now()
    finding = outcome if isinstance(outcome, Finding) else Finding()
    if finding.task_id:
        if not Generation.objects.filter(task_id=finding.task_id).exists():
            log.info("generation %s found as task %s", record.pk, finding.task_id)
            _move(
                record,
                Status.SUBMITTING,
                status=Status.PENDING,
                task_id=finding.task_id,
                poll_at=now,
            )
    elif finding.absent:
        log.info("generation %s never reached DashScope; sending it again", record.pk)
        _move(record, Status.SUBMITTING, status=Status.QUEUED)
    elif now - record.submitted_at > timedelta(seconds=settings.GENERATION_MAX_AGE):
        _fail(
            record,
            Status.SUBMITTING,
            ErrorCode.SUBMIT_OUTCOME_UNKNOWN,
            "DashScope's task list never showed whether it arrived.",
        )
    else:  # the list could not tell yet, or could not be read
        recheck = timedelta(seconds=settings.DASHSCOPE_LISTING_RECHECK_SECONDS)
        _move(record, Status.SUBMITTING, reconcile_at=now + recheck)


# -- watching --------------------------------------------------------------------------------


def task_seen(
    record: Generation, outcome: TaskState | DashScopeError, schedule: PollSchedule
) -> None:
    """Apply what a query of the record's task brought (or that it brought nothing)."""
    now = timezone.now()
    checks = record.checks + 1
    state = outcome if isinstance(outcome, TaskState) else None
    forgotten = state is not None and state.status == TaskStatus.UNKNOWN
    if forgotten and now - record.submitted_at > TASK_LIFETIME:
        _fail(record, WATCHED, ErrorCode.TASK_FORGOTTEN, "", checks=checks)  # gone for good
    elif state is None or forgotten:
        # The task is still at DashScope whatever went wrong with this query (even a rotated
        # key), and an UNKNOWN within its 24 h is a glitch: keep trying, less often; the age
        # limit ends it, and it can be re-checked after that.
        missed = record.missed_checks + 1
        _move(
            record,
            WATCHED,
            missed_checks=missed,
            checks=checks,
            poll_at=now + backoff(min(missed, 5)),
            unknown_since=(record.unknown_since or now) if forgotten else record.unknown_since,
        )
    elif state.is_waiting:
        _move(
            record,
            WATCHED,
            status=Status.RUNNING if state.status == TaskStatus.RUNNING else Status.PENDING,
            started_at=state.scheduled_time,
            checks=checks,
            missed_checks=0,
            poll_at=schedule.next_query_at(record, now),
        )
    elif state.status == TaskStatus.SUCCEEDED:
        schedule.learn(record.model)
        log.debug(
            "task %s seen done %.2f s after it ended, after %d queries",
            record.task_id,
            (now - state.end_time).total_seconds() if state.end_time else -1,
            checks,
        )
        with transaction.atomic():  # billed once: with the change that saw it succeed
            seen = _move(
                record,
                WATCHED,
                status=Status.DOWNLOADING,
                checks=checks,
                started_at=state.scheduled_time,
                finished_at=state.end_time,
                task_seconds=_seconds_between(state.submit_time, state.end_time),
                actual_prompt=next((r.actual_prompt for r in state.results if r.url), ""),
                image_count=state.image_count,
                results=[asdict(r) for r in state.results],
                store_claimed_until=now + store_deadline(),
            )
            if seen:
                usage.bill(record)
        if seen:
            _start_store_job(record)
    elif state.status == TaskStatus.CANCELED:
        _move(
            record,
            WATCHED,
            status=Status.CANCELED,
            checks=checks,
            error_code=ErrorCode.CANCELED,
            completed_at=now,
        )
    else:  # FAILED
        _fail(
            record,
            WATCHED,
            state.code or ErrorCode.FAILED,
            state.message,
            checks=checks,
            finished_at=state.end_time,
        )


def _seconds_between(start, end) -> float | None:
    return (end - start).total_seconds() if start and end else None


# -- storing ---------------------------------------------------------------------------------


def store_deadline() -> timedelta:
    """A store job silent this long is taken for dead (killed, or lost by the broker)."""
    return timedelta(seconds=settings.STORE_DEADLINE_SECONDS)


def _start_store_job(record: Generation) -> None:
    async_task("gallery.tasks.store_results", record.pk, task_name="store results")


def hold_for_storing(record: Generation) -> bool:
    """Hold the record for this store job a while longer; False when another job has taken it.

    The hold is `store_claimed_until` as this job last set it: the sweep moves it when it starts
    another job, so a job that was given up for dead stops at its next step instead of racing.
    """
    held_until = timezone.now() + store_deadline()
    won = Generation.objects.filter(
        pk=record.pk,
        status=Status.DOWNLOADING,
        store_claimed_until=record.store_claimed_until,
    ).update(store_claimed_until=held_until)
    if won:
        record.store_claimed_until = held_until
    return bool(won)


def store_later(record: Generation) -> None:
    """A passing network problem: the sweep starts the job again after STORE_RETRY_AFTER."""
    _move(record, Status.DOWNLOADING, store_claimed_until=timezone.now() + STORE_RETRY_AFTER)


def restart_store(record: Generation, now: datetime) -> None:
    """A store job died or was lost by the broker: start another (store jobs are idempotent)."""
    if _move(record, Status.DOWNLOADING, store_claimed_until=now + store_deadline()):
        _start_store_job(record)


def images_stored(record: Generation) -> None:
    """DOWNLOADING → SUCCEEDED with whatever was stored, or FAILED when nothing was."""
    images = list(record.images.all())
    if any(image.original for image in images):
        _move(
            record,
            Status.DOWNLOADING,
            status=Status.SUCCEEDED,
            results=[],
            completed_at=timezone.now(),
        )
    else:
        first_error = next((image for image in images if image.error_code), None)
        _fail(
            record,
            Status.DOWNLOADING,
            first_error.error_code if first_error else ErrorCode.DOWNLOAD_FAILED,
            first_error.error_message if first_error else "",
        )


# -- ending early ----------------------------------------------------------------------------


def time_out(record: Generation) -> None:
    """Past GENERATION_MAX_AGE waiting here or watched at DashScope (its task id is kept, so
    a watched one can be re-checked)."""
    if record.status == Status.QUEUED:
        _fail(record, Status.QUEUED, ErrorCode.TIMED_OUT, "DashScope stayed too busy to take it.")
    else:
        _fail(record, WATCHED, ErrorCode.TIMED_OUT, "")


def cancel(record: Generation) -> str:
    """A person's cancel: at once while queued here; while PENDING at DashScope, recorded for
    the dispatcher to carry out (a web request never waits on DashScope). Returns what
    happened, in words for the person who asked."""
    if _move(record, Status.QUEUED, **_cancelled()):
        return _("Cancelled before it was sent to DashScope: nothing was charged.")
    if not record.cancel_request and _move(
        record, Status.PENDING, cancel_request=CancelRequest.REQUESTED, poll_at=timezone.now()
    ):
        return _("Cancelling at DashScope: nothing is charged if it has not started yet.")
    if record.status == Status.SUBMITTING:
        return _("It is being sent to DashScope right now; try again in a moment.")
    if record.cancelling:
        return _("Cancelling at DashScope already.")
    return _("It has already started, so it can no longer be cancelled.")


def cancel_answered(record: Generation, outcome: None | DashScopeError) -> None:
    """What DashScope said to the cancel the dispatcher sent in place of a query."""
    if not isinstance(outcome, DashScopeError):
        _move(record, Status.PENDING, **_cancelled())
    elif outcome.retryable:
        missed = record.missed_checks + 1
        _move(
            record,
            Status.PENDING,
            missed_checks=missed,
            poll_at=timezone.now() + backoff(min(missed, 5)),
        )
    else:  # no longer PENDING there: the next query tells what it is now
        _move(record, Status.PENDING, cancel_request=CancelRequest.REFUSED, poll_at=timezone.now())


def _cancelled() -> dict:
    return {
        "status": Status.CANCELED,
        "error_code": ErrorCode.CANCELED,
        "completed_at": timezone.now(),
    }


def recheck(record: Generation) -> bool:
    """FAILED "timed out" → RUNNING: watch its task again; it may have finished since."""
    now = timezone.now()
    return record.can_recheck and _move(
        record,
        Status.FAILED,
        status=Status.RUNNING,
        error_code="",
        error_message="",
        completed_at=None,
        rechecked_at=now,  # the age limit counts from here now
        missed_checks=0,
        poll_at=now,
    )
