"""What each answer to a submit, and each look in the task list, does to the record: the rules
of gallery/lifecycle.py's sending part that `make mutate` showed no dispatcher test held.

The simulator lists a task the moment it is made and answers a POST in milliseconds; DashScope
does neither, so the waits that keep a record from being sent twice are checked here, on the
record, where they are decided."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gallery import lifecycle
from gallery.dashscope.client import SubmittedTask, TaskStatus
from gallery.dashscope.errors import DashScopeError
from gallery.models import Generation
from gallery.reconciliation import Finding

from .conftest import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


def sending(user, **fields) -> Generation:
    fields = {"submit_attempts": 1, "submitted_at": timezone.now(), **fields}
    return make_generation(user, status=Status.SUBMITTING, **fields)


def server_error(status: int = 500, code: str = "InternalError") -> DashScopeError:
    return DashScopeError(code, "Something went wrong.", status=status)


def test_a_claimed_record_is_not_looked_for_in_the_task_list_while_its_post_can_still_be_answered(
    user, settings
):
    settings.DASHSCOPE_TIMEOUT = 30
    generation = make_generation(user)
    now = timezone.now()

    assert lifecycle.claim_for_submit(generation, now)

    generation.refresh_from_db()
    assert (generation.status, generation.submitted_at) == (Status.SUBMITTING, now)
    assert generation.submit_attempts == 1
    assert generation.reconcile_at > now + timedelta(seconds=2 * settings.DASHSCOPE_TIMEOUT)


def test_a_record_is_claimed_for_sending_once(user):
    generation = make_generation(user)
    now = timezone.now()

    assert lifecycle.claim_for_submit(generation, now)
    assert not lifecycle.claim_for_submit(Generation.objects.get(pk=generation.pk), now)


def test_each_send_counts_as_a_try(user):
    generation = make_generation(user, submit_attempts=3)

    lifecycle.claim_for_submit(generation, timezone.now())

    assert Generation.objects.get(pk=generation.pk).submit_attempts == 4


def test_a_server_error_is_sent_again_later_until_the_last_try(user):
    generation = sending(user, submit_attempts=lifecycle.MAX_SUBMIT_RETRIES - 1)
    before = timezone.now()

    lifecycle.submit_answered(generation, server_error())

    generation.refresh_from_db()
    assert generation.status == Status.QUEUED and not generation.error_code
    assert generation.retry_at > before


def test_a_server_error_on_the_last_try_ends_the_generation_in_dashscopes_words(user):
    generation = sending(user, submit_attempts=lifecycle.MAX_SUBMIT_RETRIES)

    lifecycle.submit_answered(generation, server_error())

    generation.refresh_from_db()
    assert (generation.status, generation.error_code) == (Status.FAILED, "InternalError")
    assert generation.error_message == "Something went wrong."
    assert generation.completed_at is not None


def test_throttling_is_sent_again_however_many_tries_it_took(user):
    generation = sending(user, submit_attempts=lifecycle.MAX_SUBMIT_RETRIES + 5)
    before = timezone.now()

    lifecycle.submit_answered(generation, server_error(429, "Throttling"))

    generation.refresh_from_db()
    assert generation.status == Status.QUEUED
    assert generation.retry_at > before


def test_a_submit_whose_answer_was_lost_waits_until_a_new_task_would_show_in_the_list(
    user, settings
):
    settings.DASHSCOPE_LISTING_DELAY_SECONDS = 5
    # A gateway error: DashScope may have made (and will bill) the task.
    generation = sending(user)
    before = timezone.now()

    lifecycle.submit_answered(generation, server_error(504, "GatewayTimeout"))

    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTING and not generation.error_code
    assert generation.reconcile_at >= before + timedelta(seconds=5)
    assert generation.reconcile_at < timezone.now() + timedelta(seconds=5)


def test_a_record_the_task_list_has_not_settled_yet_is_looked_for_again_later(user, settings):
    settings.DASHSCOPE_LISTING_RECHECK_SECONDS = 5
    generation = sending(user)
    before = timezone.now()

    lifecycle.reconciled(generation, Finding())

    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTING
    assert before + timedelta(seconds=5) <= generation.reconcile_at
    assert generation.reconcile_at <= timezone.now() + timedelta(seconds=5)


def test_a_task_list_that_cannot_be_read_is_read_again_later(user):
    generation = sending(user)
    before = timezone.now()

    lifecycle.reconciled(generation, server_error())

    generation.refresh_from_db()
    assert generation.status == Status.SUBMITTING
    assert generation.reconcile_at > before


def test_a_task_found_in_the_list_is_watched_at_once(user):
    generation = sending(user)

    lifecycle.reconciled(generation, Finding(task_id="found-task"))

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.PENDING, "found-task")
    assert generation.poll_at <= timezone.now() and generation.reconcile_at is None


def test_a_task_another_record_has_meanwhile_is_not_taken_twice(user):
    make_generation(user, status=Status.PENDING, task_id="found-task")
    generation = sending(user)

    lifecycle.reconciled(generation, Finding(task_id="found-task"))

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.SUBMITTING, "")


def test_a_record_dashscope_never_received_is_queued_to_be_sent_again(user):
    generation = sending(user)

    lifecycle.reconciled(generation, Finding(absent=True))

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.QUEUED, "")


def accepted(task_id: str = "new-task") -> SubmittedTask:
    return SubmittedTask(task_id=task_id, status=TaskStatus.PENDING, request_id="req-1")


def test_a_task_dashscope_accepted_is_saved_and_first_queried_when_asked(user):
    # The POST took 2 s to be answered: DashScope's task times count from its answer.
    generation = sending(user, submitted_at=timezone.now() - timedelta(seconds=2))
    before = timezone.now()

    assert lifecycle.task_created(generation, accepted(), first_query_after=3.0)

    generation.refresh_from_db()
    assert generation.status == Status.PENDING
    assert (generation.task_id, generation.request_id) == ("new-task", "req-1")
    assert before <= generation.submitted_at <= timezone.now()
    assert generation.poll_at == generation.submitted_at + timedelta(seconds=3)
    assert generation.reconcile_at is None


def test_a_late_answer_to_a_submit_given_up_for_lost_clears_what_the_give_up_said(user):
    generation = make_generation(
        user,
        status=Status.FAILED,
        error_code="SubmitOutcomeUnknown",
        error_message="DashScope's task list never showed whether it arrived.",
        completed_at=timezone.now(),
        submitted_at=(sent := timezone.now() - timedelta(minutes=3)),
    )

    assert lifecycle.task_created(generation, accepted(), first_query_after=1.0)

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.PENDING, "new-task")
    assert (generation.error_code, generation.error_message) == ("", "")
    assert generation.completed_at is None
    assert generation.submitted_at == sent  # when it was sent: the task may be long done


def test_a_late_answer_takes_only_its_own_record(user):
    generation = sending(user)
    other = sending(user)

    lifecycle.task_created(generation, accepted(), first_query_after=1.0)

    other.refresh_from_db()
    assert (other.status, other.task_id) == (Status.SUBMITTING, "")


def test_a_task_id_found_in_the_list_meanwhile_is_never_overwritten(user):
    generation = sending(user)
    Generation.objects.filter(pk=generation.pk).update(task_id="found-in-the-list")

    assert not lifecycle.task_created(generation, accepted(), first_query_after=1.0)

    assert Generation.objects.get(pk=generation.pk).task_id == "found-in-the-list"


def test_a_late_answer_never_overwrites_a_record_that_moved_on(user):
    found = make_generation(user, status=Status.PENDING, task_id="found-in-the-list")
    done = make_generation(user, status=Status.SUCCEEDED, task_id="its-task")
    refused = make_generation(user, status=Status.FAILED, error_code="Arrearage")
    for record in (found, done, refused):
        record.submitted_at = timezone.now()

        assert not lifecycle.task_created(record, accepted("late-task"), first_query_after=1.0)

    assert not Generation.objects.filter(task_id="late-task").exists()
    assert Generation.objects.get(pk=refused.pk).error_code == "Arrearage"
