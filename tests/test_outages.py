"""A DashScope that does not answer: when that counts as an outage, what waits meanwhile, and
how nothing is lost or timed out for it. (tests/test_outage_recovery.py runs one end to end.)"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery import fair_queue, lifecycle
from gallery.dashscope.client import TaskState, TaskStatus
from gallery.dashscope.errors import DashScopeError, DashScopeUnavailable
from gallery.dispatcher import Dispatcher
from gallery.models import Generation, Outage
from gallery.outages import OutageWatch
from gallery.pacing import PollSchedule

from .conftest import run_dispatcher
from .factories import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status
REFUSED = DashScopeUnavailable("ConnectionError", "Could not connect.", maybe_received=False)


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture
def thresholds(settings):
    settings.DASHSCOPE_OUTAGE_AFTER_FAILURES = 3
    settings.DASHSCOPE_OUTAGE_AFTER_SECONDS = 0
    settings.DASHSCOPE_OUTAGE_PROBE_SECONDS = 0.1


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gallery.outages"]


def test_failed_calls_in_a_row_open_one_outage_logged_once(thresholds, caplog):
    caplog.set_level(logging.WARNING)
    watch = OutageWatch()
    watch.call_ended(REFUSED)
    watch.call_ended(DashScopeError("InternalError", "Oops.", status=500))
    assert Outage.objects.count() == 0

    for _ in range(5):
        watch.call_ended(REFUSED)

    outage = Outage.objects.get()
    assert outage.ended_at is None and outage.failed_calls == 7
    assert outage.cause == "ConnectionError: Could not connect."
    [warning] = outage_warnings(caplog)
    assert "DashScope is not answering since" in warning and "ConnectionError" in warning


def test_a_run_of_failures_too_short_in_time_is_no_outage(thresholds, settings):
    settings.DASHSCOPE_OUTAGE_AFTER_SECONDS = 60
    watch = OutageWatch()
    for _ in range(10):
        watch.call_ended(REFUSED)
    assert not Outage.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [
        TaskState(task_id="t", status=TaskStatus.RUNNING),
        DashScopeError("Throttling", "Too many requests.", status=429),
        DashScopeError("InvalidParameter", "Bad size.", status=400),
    ],
    ids=["a task state", "throttling", "a refusal"],
)
def test_any_answer_ends_the_outage_and_says_so_once(thresholds, caplog, answer):
    watch = OutageWatch()
    for _ in range(3):
        watch.call_ended(REFUSED)
    caplog.set_level(logging.WARNING)
    caplog.clear()

    watch.call_ended(answer)
    watch.call_ended(answer)

    assert Outage.objects.get().ended_at is not None
    assert Outage.objects.current() is None
    [warning] = outage_warnings(caplog)
    assert "DashScope answers again" in warning


def test_an_answer_between_failures_starts_the_count_again(thresholds):
    watch = OutageWatch()
    for _ in range(10):
        watch.call_ended(REFUSED)
        watch.call_ended(None)  # a cancel's answer carries no body
    assert not Outage.objects.exists()


def test_a_loop_started_later_carries_on_the_outage_a_previous_one_opened(thresholds):
    Outage.objects.create(started_at=ago(60), cause="ReadTimeout: no answer")
    assert OutageWatch().down


@pytest.mark.django_db(transaction=True)
def test_while_dashscope_is_down_queued_records_wait_and_lose_no_tries(dashscope, user, thresholds):
    Outage.objects.create(started_at=ago(60), cause="ConnectionError: Could not connect.")
    generation = make_generation(user)
    dashscope.stop()

    run_dispatcher(1.5)

    generation.refresh_from_db()
    assert (generation.status, generation.submit_attempts) == (Status.QUEUED, 0)
    assert Outage.objects.current() is not None


@pytest.mark.django_db(transaction=True)
def test_when_dashscope_answers_again_the_outage_ends_and_the_queue_moves(
    dashscope, user, thresholds
):
    Outage.objects.create(started_at=ago(60), cause="ConnectionError: Could not connect.")
    generation = make_generation(user)

    run_dispatcher()

    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED and generation.submit_attempts == 1
    assert Outage.objects.current() is None
    assert dashscope.stats()["submits"] == 1


@pytest.mark.parametrize(
    ("outage", "times_out"),
    [
        ({"ended_at": None}, False),  # still down
        ({"ended_at": ago(60)}, False),  # back a minute ago: waiting was DashScope's fault
        ({"ended_at": ago(3600)}, True),  # back long ago
        (None, True),
    ],
    ids=["during an outage", "just after one", "long after one", "without one"],
)
def test_a_record_times_out_only_after_as_long_a_wait_with_dashscope_answering(
    user, settings, outage, times_out
):
    settings.GENERATION_MAX_AGE = 600
    if outage is not None:
        Outage.objects.create(started_at=ago(7200), cause="ConnectionError", **outage)
    queued = make_generation(user, created_at=ago(900))
    watched = make_generation(
        user, status=Status.RUNNING, task_id="t-1", submitted_at=ago(900), poll_at=ago(-60)
    )

    Dispatcher().sweep(timezone.now())

    assert Generation.objects.get(pk=queued.pk).status == (
        Status.FAILED if times_out else Status.QUEUED
    )
    assert Generation.objects.get(pk=watched.pk).status == (
        Status.FAILED if times_out else Status.RUNNING
    )


def test_a_task_dashscope_has_long_forgotten_holds_no_slot(user, settings):
    settings.DASHSCOPE_CONCURRENCY = {"*": 2}
    settings.FORGOTTEN_TASK_SLOT_SECONDS = 120
    for since in (ago(121), ago(119)):
        make_generation(user, status=Status.RUNNING, task_id="t", unknown_since=since)
    make_generation(user, prompt="waiting")

    assert fair_queue.free_slots(timezone.now()) == {"wanx2.1-t2i-turbo": 1}


def test_an_unknown_answer_is_dated_from_the_first_and_a_real_one_clears_it(user):
    generation = make_generation(
        user, status=Status.RUNNING, task_id="t", submitted_at=ago(60), poll_at=ago(0)
    )
    unknown = TaskState(task_id="t", status=TaskStatus.UNKNOWN)

    lifecycle.task_seen(generation, unknown, PollSchedule())
    first = Generation.objects.get(pk=generation.pk).unknown_since
    lifecycle.task_seen(Generation.objects.get(pk=generation.pk), unknown, PollSchedule())
    assert first is not None
    assert Generation.objects.get(pk=generation.pk).unknown_since == first

    lifecycle.task_seen(
        Generation.objects.get(pk=generation.pk),
        TaskState(task_id="t", status=TaskStatus.RUNNING),
        PollSchedule(),
    )
    assert Generation.objects.get(pk=generation.pk).unknown_since is None
