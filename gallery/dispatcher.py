"""The dispatcher loop: the one place that decides when to submit and when to query.

One loop runs in the whole deployment (a `Lease` row makes sure). It holds one q2 worker for at
most a minute and never sleeps inside a task's life: each tick it submits queued records while
DashScope has a free slot, queries the tasks whose `next_check_at` has come, and hands finished
tasks to `store_results` jobs. HTTP calls run in a small thread pool. Every state change is a
conditional update; the one made in a pool thread saves a new task id the moment DashScope
answers, so a task it accepted is never forgotten, whatever happens to this loop next.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from . import downloads, polling, reconciliation
from .dashscope.client import DashScopeClient, SubmittedTask, TaskState
from .dashscope.errors import DashScopeError
from .models import Generation, Lease

log = logging.getLogger(__name__)
Status = Generation.Status

LEASE_NAME = "dispatcher"
DISPATCHER_SCHEDULE = "wanxweb dispatcher"  # the q2 schedule of migration 0002
RUN_SECONDS = 55.0  # then return the worker; the loop re-queues itself if work remains
MAX_WAIT = 0.5  # how long a new record can wait before the loop notices it
SWEEP_EVERY = 5.0
MAX_SUBMIT_RETRIES = 8  # for server errors; throttling is retried until GENERATION_MAX_AGE
TASK_LIFETIME = timedelta(hours=24)  # how long DashScope keeps a task id
RECHECK_UNDECIDED = timedelta(seconds=5)  # until the tasks that hide the answer finish


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


class Dispatcher:
    def __init__(self, client: DashScopeClient | None = None) -> None:
        self.client = client or DashScopeClient.from_settings()
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dashscope")
        self.calls: dict[Future, tuple[str, Generation]] = {}
        self.submit_limiters: dict[str, RateLimiter] = defaultdict(
            lambda: RateLimiter(settings.DASHSCOPE_SUBMIT_RATE)
        )
        self.query_limiter = RateLimiter(settings.DASHSCOPE_QUERY_RATE)
        self.windows: dict[str, tuple[float, tuple[float, float]]] = {}  # model -> (when, window)
        self.last_sweep = 0.0
        self.stopping = False
        # A dead dispatcher's lease lapses after this; the next kick or schedule takes over.
        self.lease_seconds = settings.DISPATCHER_LEASE_SECONDS

    # -- the loop ---------------------------------------------------------------------------

    def run(self, max_seconds: float = RUN_SECONDS) -> None:
        """Work until nothing is active or `max_seconds` pass; no-op if another loop runs."""
        if not Lease.acquire(LEASE_NAME, self.holder, self.lease_seconds):
            return
        previous_handler = self._stop_on_sigterm()
        deadline = time.monotonic() + max_seconds
        renewed = time.monotonic()
        try:
            while not self.stopping and time.monotonic() < deadline:
                if time.monotonic() - renewed > self.lease_seconds / 6:
                    if not Lease.acquire(LEASE_NAME, self.holder, self.lease_seconds):
                        log.warning("dispatcher lost its lease; stopping")
                        break
                    renewed = time.monotonic()
                wait_seconds = self.tick()
                if wait_seconds is None and not self._still_busy_after_release():
                    break
                self._wait(wait_seconds or 0)
        finally:
            # Let calls in flight finish and apply what they brought.
            self.pool.shutdown(wait=True)
            self._apply_finished_calls()
            Lease.release(LEASE_NAME, self.holder)
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
        # Only now, with the lease free, can the next loop start.
        if not self.stopping and Generation.objects.active().exists():
            async_task("gallery.tasks.dispatch", task_name="dispatch (continued)")

    def _stop_on_sigterm(self):
        """On SIGTERM (a supervisor or Ctrl-C stopping the worker), wind down instead of dying."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def stop(signum, frame) -> None:
            self.stopping = True

        return signal.signal(signal.SIGTERM, stop)

    def _still_busy_after_release(self) -> bool:
        # Release first, then look once more: a view that created a record after our last look
        # either sees the lease free (and kicks a new loop) or its record is seen here.
        Lease.release(LEASE_NAME, self.holder)
        if Generation.objects.active().exists():
            return Lease.acquire(LEASE_NAME, self.holder, self.lease_seconds)
        return False

    def tick(self) -> float | None:
        """One round; returns seconds until something is due, or None when idle."""
        self._apply_finished_calls()
        now = timezone.now()
        if time.monotonic() - self.last_sweep > SWEEP_EVERY:
            self.sweep(now)
            self.last_sweep = time.monotonic()
        self._start_submits(now)
        self._start_queries(now)
        return self._seconds_until_due(now)

    def _wait(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.01), MAX_WAIT)
        if self.calls:
            wait(self.calls, timeout=seconds, return_when=FIRST_COMPLETED)
        else:
            time.sleep(seconds)

    def _busy_ids(self) -> set[int]:
        return {record.pk for _, record in self.calls.values()}

    def _seconds_until_due(self, now) -> float | None:
        active = Generation.objects.active().exclude(pk__in=self._busy_ids())
        if not self.calls and not active.exists():
            return None
        next_due = active.aggregate(at=Min("next_check_at"))["at"]
        if next_due is None:
            return MAX_WAIT
        return (next_due - now).total_seconds()

    def _apply_finished_calls(self) -> None:
        for future in [f for f in self.calls if f.done()]:
            kind, record = self.calls.pop(future)
            try:
                outcome = future.result()
            except DashScopeError as error:
                outcome = error
            except Exception:
                # e.g. the database refused the save; the sweep settles the record later
                log.exception("%s of generation %s failed", kind, record.pk)
                continue
            if kind == "submit":
                self._submitted(record, outcome)
            elif kind == "reconcile":
                self._reconciled(record, outcome)
            else:
                self._queried(record, outcome)

    # -- submitting -------------------------------------------------------------------------

    def _start_submits(self, now) -> None:
        waiting = Generation.objects.filter(status=Status.QUEUED).filter(
            Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
        )
        models = set(waiting.values_list("model", flat=True).distinct())
        if not models:
            return
        in_slots = dict(
            Generation.objects.at_dashscope()
            .values_list("model")
            .annotate(n=Count("id"))
            .values_list("model", "n")
        )
        for model in models:
            free = settings.DASHSCOPE_CONCURRENCY - in_slots.get(model, 0)
            limiter = self.submit_limiters[model]
            while free > 0 and limiter.ready():
                record = self._claim_next(waiting.filter(model=model), now)
                if record is None:
                    break
                limiter.take()
                free -= 1
                first_check = polling.next_query_at(0, 0, self._expected_window(model))
                future = self.pool.submit(self._submit, record, first_check)
                self.calls[future] = ("submit", record)

    def _claim_next(self, waiting, now) -> Generation | None:
        """Claim the next record, taking turns between users.

        The user with the fewest tasks at DashScope goes first, then the one who was served
        longest ago, then the one who has waited longest; each user's records go in order.
        """
        in_flight = dict(
            Generation.objects.at_dashscope()
            .values_list("owner")
            .annotate(n=Count("id"))
            .values_list("owner", "n")
        )
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
            if record and record.transition(
                Status.QUEUED,
                status=Status.SUBMITTING,
                submitted_at=now,
                submit_attempts=record.submit_attempts + 1,
                next_check_at=now + timedelta(seconds=2 * settings.DASHSCOPE_TIMEOUT + 10),
            ):
                return record
        return None

    def _submit(self, record: Generation, first_check: float) -> SubmittedTask:
        """POST the task, then save its id at once (runs in a pool thread)."""
        task = self.client.submit(record.image_request())
        log.info("generation %s submitted as DashScope task %s", record.pk, task.task_id)
        try:
            # Also from FAILED: a sweep that gave up on this call too early must not lose it.
            Generation.objects.filter(pk=record.pk, task_id="").filter(
                Q(status=Status.SUBMITTING)
                | Q(status=Status.FAILED, error_code="SubmitOutcomeUnknown")
            ).update(
                status=Status.PENDING,
                task_id=task.task_id,
                request_id=task.request_id,
                error_code="",
                error_message="",
                completed_at=None,
                next_check_at=record.submitted_at + timedelta(seconds=first_check),
            )
        finally:
            connection.close()  # this pool thread's own connection
        return task

    def _submitted(self, record: Generation, outcome) -> None:
        """Settle a submit that failed (a success was saved by `_submit` itself)."""
        if not isinstance(outcome, DashScopeError):
            return
        if outcome.maybe_received:
            # DashScope may have the task (and bill it): never resend blindly; the sweep
            # looks for it in DashScope's task list first.
            log.warning("generation %s: submit outcome unknown (%s)", record.pk, outcome.code)
            record.transition(
                Status.SUBMITTING, next_check_at=timezone.now() + reconciliation.LISTING_DELAY
            )
        elif outcome.retryable and (
            outcome.status == 429 or record.submit_attempts < MAX_SUBMIT_RETRIES
        ):
            record.transition(
                Status.SUBMITTING,
                status=Status.QUEUED,
                next_check_at=timezone.now() + backoff(record.submit_attempts),
            )
        else:
            record.fail(Status.SUBMITTING, outcome.code, outcome.message)

    def _find_task(self, record: Generation) -> reconciliation.Finding:
        try:
            return reconciliation.find_task(self.client, record)
        finally:
            connection.close()  # this pool thread's own connection

    def _reconciled(self, record: Generation, outcome) -> None:
        """Adopt the task DashScope made, send the record again if it made none, or wait."""
        now = timezone.now()
        if isinstance(outcome, reconciliation.Finding) and outcome.task_id:
            if not Generation.objects.filter(task_id=outcome.task_id).exists():
                log.info("generation %s found as task %s", record.pk, outcome.task_id)
                record.transition(
                    Status.SUBMITTING,
                    status=Status.PENDING,
                    task_id=outcome.task_id,
                    next_check_at=now,
                )
        elif isinstance(outcome, reconciliation.Finding) and outcome.absent:
            log.info("generation %s never reached DashScope; sending it again", record.pk)
            record.transition(Status.SUBMITTING, status=Status.QUEUED, next_check_at=None)
        elif now - record.submitted_at > timedelta(seconds=settings.GENERATION_MAX_AGE):
            record.fail(
                Status.SUBMITTING,
                "SubmitOutcomeUnknown",
                "DashScope's task list never showed whether it arrived.",
            )
        else:  # the list could not tell yet, or could not be read
            record.transition(Status.SUBMITTING, next_check_at=now + RECHECK_UNDECIDED)

    # -- querying ---------------------------------------------------------------------------

    def _start_queries(self, now) -> None:
        due = (
            Generation.objects.filter(
                status__in=[Status.PENDING, Status.RUNNING], next_check_at__lte=now
            )
            .exclude(pk__in=self._busy_ids())
            .order_by("next_check_at")
        )
        for record in due[:50]:
            if not self.query_limiter.ready():
                break
            self.query_limiter.take()
            self.calls[self.pool.submit(self.client.fetch, record.task_id)] = ("query", record)

    def _queried(self, record: Generation, outcome) -> None:
        now = timezone.now()
        checks = record.checks + 1
        waiting = [Status.PENDING, Status.RUNNING]
        state = outcome if isinstance(outcome, TaskState) else None
        if state and state.status == "UNKNOWN" and now - record.submitted_at > TASK_LIFETIME:
            record.fail(waiting, "UNKNOWN", "", checks=checks)  # DashScope forgot it for good
        elif state is None or state.status == "UNKNOWN":
            # The task is still at DashScope whatever went wrong with this query (even a
            # rotated key), and an UNKNOWN within its 24 h is a glitch: keep trying, less
            # often; the age limit ends it, and it can be re-checked after that.
            missed = record.missed_checks + 1
            record.transition(
                waiting,
                missed_checks=missed,
                checks=checks,
                next_check_at=now + backoff(min(missed, 5)),
            )
        elif state.is_waiting:
            record.transition(
                waiting,
                status=Status.RUNNING if state.status == "RUNNING" else Status.PENDING,
                started_at=state.scheduled_time,
                checks=checks,
                missed_checks=0,
                next_check_at=self._next_check(record.model, record.submitted_at, now, checks),
            )
        elif state.status == "SUCCEEDED":
            self.windows.pop(record.model, None)  # learn from this task at once
            log.debug(
                "task %s seen done %.2f s after it ended, after %d queries",
                record.task_id,
                (now - state.end_time).total_seconds() if state.end_time else -1,
                checks,
            )
            if record.transition(
                waiting,
                status=Status.DOWNLOADING,
                checks=checks,
                started_at=state.scheduled_time,
                finished_at=state.end_time,
                task_seconds=_seconds_between(state.submit_time, state.end_time),
                actual_prompt=next((r.actual_prompt for r in state.results if r.url), ""),
                image_count=state.image_count,
                results=[asdict(r) for r in state.results],
                next_check_at=now + downloads.store_deadline(),
            ):
                async_task("gallery.tasks.store_results", record.pk, task_name="store results")
        elif state.status == "CANCELED":
            record.transition(
                waiting,
                status=Status.CANCELED,
                checks=checks,
                error_code="Canceled",
                completed_at=now,
                next_check_at=None,
            )
        else:  # FAILED
            record.fail(
                waiting,
                state.code or "Failed",
                state.message,
                checks=checks,
                finished_at=state.end_time,
            )

    def _next_check(self, model: str, submitted_at, now, checks: int):
        elapsed = (now - submitted_at).total_seconds()
        at = polling.next_query_at(elapsed, checks, self._expected_window(model))
        return submitted_at + timedelta(seconds=at)

    def _expected_window(self, model: str) -> tuple[float, float]:
        computed_at, window = self.windows.get(model, (0.0, (0.0, 0.0)))
        if time.monotonic() - computed_at > 30:
            recent = (
                Generation.objects.filter(model=model, task_seconds__isnull=False)
                .order_by("-finished_at")
                .values_list("task_seconds", flat=True)[: polling.HISTORY]
            )
            window = polling.expected_window(list(recent))
            self.windows[model] = (time.monotonic(), window)
        return window

    # -- the sweep: nothing stays in flight forever -----------------------------------------

    def sweep(self, now) -> None:
        busy = self._busy_ids()
        overdue = Generation.objects.exclude(pk__in=busy).filter(next_check_at__lt=now)
        # A POST whose answer never arrived, or a dispatcher that died before saving it.
        for record in overdue.filter(status=Status.SUBMITTING):
            if not self.query_limiter.ready():
                break
            self.query_limiter.take()
            future = self.pool.submit(self._find_task, record)
            self.calls[future] = ("reconcile", record)
        too_old = now - timedelta(seconds=settings.GENERATION_MAX_AGE)
        # A store_results job died or was lost by the broker: start it again (it is
        # idempotent), or, past the age limit, keep what was stored and end the record.
        for record in overdue.filter(status=Status.DOWNLOADING):
            if (record.finished_at or record.submitted_at) < too_old:
                downloads.give_up(record)
            elif record.transition(
                Status.DOWNLOADING, next_check_at=now + downloads.store_deadline()
            ):
                async_task("gallery.tasks.store_results", record.pk, task_name="store results")
        stale = Generation.objects.exclude(pk__in=busy)
        for record in stale.filter(status=Status.QUEUED, created_at__lt=too_old):
            record.fail(Status.QUEUED, "TimedOut", "DashScope stayed too busy to take it.")
        watched = stale.filter(status__in=[Status.PENDING, Status.RUNNING]).annotate(
            watched_since=Coalesce("rechecked_at", "submitted_at")
        )
        for record in watched.filter(watched_since__lt=too_old):
            record.fail([Status.PENDING, Status.RUNNING], "TimedOut", "")


def _seconds_between(start, end) -> float | None:
    return (end - start).total_seconds() if start and end else None
