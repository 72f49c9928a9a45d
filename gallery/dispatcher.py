"""The dispatcher loop: the one place that decides when to submit and when to query.

One loop runs in the whole deployment (a `Lease` row makes sure). It holds one q2 worker for at
most a minute and never sleeps inside a task's life: each tick it submits queued records while
DashScope has a free slot, queries the tasks whose `poll_at` has come, and settles what is
overdue. HTTP calls run in a small thread pool; each call carries the `lifecycle` function that
applies its answer. A new task id is saved in the pool thread the moment DashScope answers, so a
task it accepted is never forgotten, whatever happens to this loop next.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django_q.tasks import async_task

from . import downloads, fair_queue, lifecycle, reconciliation
from .dashscope import catalog
from .dashscope.client import DashScopeClient, SubmittedTask
from .dashscope.errors import DashScopeError
from .models import Generation, Lease
from .outages import OutageWatch
from .pacing import PollSchedule, RateLimiter

log = logging.getLogger(__name__)
Status = Generation.Status

LEASE_NAME = "dispatcher"
DISPATCHER_SCHEDULE = "wanxweb dispatcher"  # the q2 schedule of migration 0002
RUN_SECONDS = 55.0  # then return the worker; the loop re-queues itself if work remains
MAX_WAIT = 0.5  # how long a new record can wait before the loop notices it
SWEEP_EVERY = 5.0

# What applies a call's answer (or its DashScopeError) to the record it was about.
Apply = Callable[[Generation, object], None]


class Dispatcher:
    def __init__(self, client: DashScopeClient | None = None) -> None:
        self.client = client or DashScopeClient.from_settings()
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dashscope")
        self.calls: dict[Future, tuple[Generation, Apply]] = {}
        self.submit_limiters: dict[str, RateLimiter] = {}
        self.query_limiter = RateLimiter(settings.DASHSCOPE_QUERY_RATE)
        self.schedule = PollSchedule()
        self.outage = OutageWatch()
        self.probe: Future | None = None  # while DashScope is down: is it back?
        self.last_probe = 0.0
        self.last_sweep = 0.0
        self.stopping = False
        # A dead dispatcher's lease lapses after this; the next kick or schedule takes over.
        self.lease_seconds = settings.DISPATCHER_LEASE_SECONDS

    # -- the loop and its lease -------------------------------------------------------------

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
        if self.outage.down:
            self._start_probe(now)  # new tasks wait here: DashScope could not take them
        else:
            self._start_submits(now)
        self._start_queries(now)
        return self._seconds_until_due(now)

    def _wait(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.01), MAX_WAIT)
        if self.calls:
            wait(self.calls, timeout=seconds, return_when=FIRST_COMPLETED)
        else:
            time.sleep(seconds)

    def _seconds_until_due(self, now: datetime) -> float | None:
        active = Generation.objects.active().exclude(pk__in=self._busy_ids())
        if not self.calls and not self.probe and not active.exists():
            return None
        next_due = active.with_due_at().aggregate(at=Min("due_at"))["at"]
        if next_due is None:
            return MAX_WAIT
        return (next_due - now).total_seconds()

    # -- the pool: each call carries what applies its answer --------------------------------

    def _call(self, record: Generation, apply: Apply, function, *args) -> None:
        self.calls[self.pool.submit(function, *args)] = (record, apply)

    def _busy_ids(self) -> set[int]:
        return {record.pk for record, _ in self.calls.values()}

    def _apply_finished_calls(self) -> None:
        if self.probe and self.probe.done():
            self.outage.call_ended(_outcome(self.probe))
            self.probe = None
        for future in [f for f in self.calls if f.done()]:
            record, apply = self.calls.pop(future)
            try:
                outcome = _outcome(future)
            except Exception:
                # e.g. the database refused the save; the sweep settles the record later
                log.exception("%s for generation %s failed", apply.__name__, record.pk)
                continue
            self.outage.call_ended(outcome)
            apply(record, outcome)

    def _submit(self, record: Generation, first_query_after: float) -> SubmittedTask:
        """POST the task, then save its id at once (runs in a pool thread)."""
        task = self.client.submit(record.image_request())
        log.info("generation %s submitted as DashScope task %s", record.pk, task.task_id)
        try:
            lifecycle.task_created(record, task, first_query_after)
        finally:
            connection.close()  # this pool thread's own connection
        return task

    def _find_task(self, record: Generation) -> reconciliation.Finding:
        try:
            return reconciliation.find_task(self.client, record)
        finally:
            connection.close()  # this pool thread's own connection

    def _task_seen(self, record: Generation, outcome) -> None:
        lifecycle.task_seen(record, outcome, self.schedule)

    def _start_probe(self, now: datetime) -> None:
        """The cheapest call that DashScope answers when it is up: an empty page of its task
        list. Queries of watched tasks, which go on meanwhile, tell as well."""
        if (
            self.probe
            or time.monotonic() - self.last_probe < settings.DASHSCOPE_OUTAGE_PROBE_SECONDS
        ):
            return
        self.last_probe = time.monotonic()
        self.probe = self.pool.submit(self.client.list_tasks, catalog.offered()[0].name, now, now)

    # -- what each tick starts ---------------------------------------------------------------

    def _start_submits(self, now: datetime) -> None:
        for model, free in fair_queue.free_slots(now).items():
            if model not in self.submit_limiters:
                self.submit_limiters[model] = RateLimiter(catalog.submit_rate(model))
            limiter = self.submit_limiters[model]
            while free > 0 and limiter.ready():
                record = fair_queue.claim_next(model, now)
                if record is None:
                    break
                limiter.take()
                free -= 1
                first_query_after = self.schedule.first_query_after(model)
                self._call(
                    record, lifecycle.submit_answered, self._submit, record, first_query_after
                )

    def _start_queries(self, now: datetime) -> None:
        due = (
            Generation.objects.filter(status__in=Generation.WATCHED, poll_at__lte=now)
            .exclude(pk__in=self._busy_ids())
            .order_by("poll_at")
        )
        for record in due[:50]:
            if not self.query_limiter.ready():
                break
            self.query_limiter.take()
            if record.cancelling:  # a person asked: the cancel takes this query's place
                self._call(record, lifecycle.cancel_answered, self.client.cancel, record.task_id)
            else:
                self._call(record, self._task_seen, self.client.fetch, record.task_id)

    def sweep(self, now: datetime) -> None:
        """Nothing stays in flight forever."""
        busy = self._busy_ids()
        others = Generation.objects.exclude(pk__in=busy)
        # A POST whose answer never arrived, or a dispatcher that died before saving it.
        for record in others.filter(status=Status.SUBMITTING, reconcile_at__lt=now):
            if not self.query_limiter.ready():
                break
            self.query_limiter.take()
            self._call(record, lifecycle.reconciled, self._find_task, record)
        too_old = now - timedelta(seconds=settings.GENERATION_MAX_AGE)
        # A store job died or was lost by the broker: start it again, or, past the age limit,
        # keep what was stored and end the record.
        for record in others.filter(status=Status.DOWNLOADING, store_claimed_until__lt=now):
            if (record.finished_at or record.submitted_at) < too_old:
                downloads.give_up(record)
            else:
                lifecycle.restart_store(record, now)
        if self.outage.lets_records_age(too_old):
            for record in others.waited_too_long(too_old):
                lifecycle.time_out(record)


def _outcome(future: Future):
    """A call's result, or the DashScopeError it raised; other exceptions propagate."""
    try:
        return future.result()
    except DashScopeError as error:
        return error
