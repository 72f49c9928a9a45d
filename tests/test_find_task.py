"""Reading DashScope's task list for a submit whose answer was lost (reconciliation.find_task),
task by task: the decoys tests/test_reconciliation.py does not place, found by `make mutate`.

DashScope lists the newest task first, so each decoy here is submitted after the record's task:
it is met first, and must not end the search."""

import pytest
from django.utils import timezone

from gallery.dashscope.client import DashScopeClient, ImageRequest, TaskStatus
from gallery.models import Generation
from gallery.reconciliation import Finding, find_task

from .conftest import TEST_KEY, finished, make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


@pytest.fixture
def dashscope_client(dashscope) -> DashScopeClient:
    return DashScopeClient(dashscope.base_url, TEST_KEY)


@pytest.fixture
def lost(user) -> Generation:
    """A record whose POST went out and whose answer never came back."""
    return make_generation(
        user, prompt="lost answer", status=Status.SUBMITTING, submitted_at=timezone.now()
    )


def someone_elses(client: DashScopeClient, record: Generation) -> str:
    return client.submit(ImageRequest(model=record.model, prompt="someone else's")).task_id


def test_a_task_nobody_owns_that_is_still_running_leaves_the_record_undecided(
    dashscope_client, lost
):
    someone_elses(dashscope_client, lost)  # its prompt shows only once it is done

    assert find_task(dashscope_client, lost) == Finding()


def test_the_records_task_is_found_behind_a_newer_one_still_running(dashscope_client, lost):
    task = dashscope_client.submit(lost.image_request())
    assert finished(dashscope_client, task.task_id) == TaskStatus.SUCCEEDED
    someone_elses(dashscope_client, lost)

    assert find_task(dashscope_client, lost) == Finding(task_id=task.task_id)


def test_the_records_task_is_found_behind_a_newer_one_another_record_owns(
    dashscope_client, lost, user
):
    task = dashscope_client.submit(lost.image_request())
    owned = someone_elses(dashscope_client, lost)
    make_generation(user, prompt="someone else's", status=Status.SUCCEEDED, task_id=owned)
    assert finished(dashscope_client, task.task_id) == TaskStatus.SUCCEEDED

    assert find_task(dashscope_client, lost) == Finding(task_id=task.task_id)


def test_a_list_of_other_finished_tasks_means_dashscope_never_received_the_record(
    dashscope_client, lost
):
    other = someone_elses(dashscope_client, lost)
    assert finished(dashscope_client, other) == TaskStatus.SUCCEEDED

    assert find_task(dashscope_client, lost) == Finding(absent=True)
