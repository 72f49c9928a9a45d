"""A submit whose answer never arrived is settled from DashScope's task list, never paid twice.

DashScope lists the newest task first. Each decoy below is placed so that the rule it tests is
the only thing that keeps the record from adopting the wrong task or being sent twice.
"""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.dashscope.client import DashScopeClient, ImageRequest, TaskStatus
from gallery.models import Generation

from .conftest import TEST_KEY, finished, run_dispatcher
from .factories import make_generation

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status


def lost_submit(user, **fields) -> Generation:
    """A record whose POST went out and whose answer never came back."""
    defaults = {
        "status": Status.SUBMITTING,
        "submitted_at": timezone.now(),
        "reconcile_at": timezone.now() - timedelta(seconds=1),
    }
    return make_generation(user, **{**defaults, **fields})


@pytest.fixture
def client(dashscope) -> DashScopeClient:
    return DashScopeClient(dashscope.base_url, TEST_KEY)


# Both protocols: the new one's results do not name their prompt.
MODELS = pytest.mark.parametrize("model", ["wanx2.1-t2i-turbo", "wan2.7-image"])


@MODELS
def test_a_submit_whose_answer_was_lost_is_found_in_the_task_list_not_resent(
    dashscope, user, settings, model
):
    settings.DASHSCOPE_TIMEOUT = 0.5
    dashscope.config.slow_rate, dashscope.config.slow_seconds = 1.0, 1.0
    generation = make_generation(user, model=model)
    # The POST times out (DashScope may or may not have the task); then DashScope recovers.
    threading.Timer(1.0, lambda: setattr(dashscope.config, "slow_rate", 0.0)).start()

    run_dispatcher()

    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED and generation.images.count() == 1
    assert dashscope.stats()["submits"] == 1 and generation.submit_attempts == 1


@MODELS
def test_a_dispatcher_killed_before_its_post_arrived_sends_it_once(dashscope, user, model):
    generation = lost_submit(user, model=model, submitted_at=timezone.now() - timedelta(seconds=40))

    run_dispatcher()

    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert dashscope.stats()["submits"] == 1


def test_a_dispatcher_killed_after_its_post_arrived_adopts_its_own_task_by_its_prompt(
    dashscope, user, client
):
    generation = lost_submit(user, prompt="lost answer")
    # Finished tasks of the same model and image count on both sides of it in the list: only
    # the prompt tells which one is the record's.
    # (One at a time: DashScope runs two tasks of a key at once.)
    before = client.submit(ImageRequest(model=generation.model, prompt="someone else's"))
    task = client.submit(generation.image_request())  # DashScope got it; nobody saved the id
    for submitted in (before, task):
        assert finished(client, submitted.task_id) == TaskStatus.SUCCEEDED
    after = client.submit(ImageRequest(model=generation.model, prompt="someone else's too"))
    assert finished(client, after.task_id) == TaskStatus.SUCCEEDED

    run_dispatcher()

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.SUCCEEDED, task.task_id)
    assert dashscope.stats()["submits"] == 3  # the two others and this one: nothing resent


def test_a_task_another_record_owns_is_not_taken_for_a_lost_one_with_the_same_prompt(
    dashscope, user, client
):
    # Clicked twice: the first record has its task; the second's POST never reached DashScope.
    first = make_generation(user, prompt="twice", status=Status.SUCCEEDED)
    task = client.submit(first.image_request())
    Generation.objects.filter(pk=first.pk).update(task_id=task.task_id)
    assert finished(client, task.task_id) == TaskStatus.SUCCEEDED
    second = lost_submit(user, prompt="twice")

    run_dispatcher()

    second.refresh_from_db()
    assert second.status == Status.SUCCEEDED
    assert second.task_id and second.task_id != task.task_id
    assert dashscope.stats()["submits"] == 2  # the second was sent: it had never arrived


def test_a_submit_the_task_list_cannot_settle_ends_in_plain_words(
    dashscope, user, client, settings
):
    # A failed task nobody owns does not say its prompt: it might be this record's.
    decoy = client.submit(ImageRequest(model="wanx2.1-t2i-turbo", prompt="nsfw-output"))
    assert finished(client, decoy.task_id) == TaskStatus.FAILED
    generation = lost_submit(
        user, submitted_at=timezone.now() - timedelta(seconds=settings.GENERATION_MAX_AGE + 1)
    )

    run_dispatcher()

    generation.refresh_from_db()
    assert (generation.status, generation.error_code) == (Status.FAILED, "SubmitOutcomeUnknown")
    assert "not charged twice" in generation.error_text
    assert dashscope.stats()["submits"] == 1


def test_a_lost_wan27_submit_is_adopted_as_the_one_task_of_its_model_nobody_owns(
    dashscope, user, client
):
    # Its results name no prompt; the others of its model are owned, as every answered one is.
    owned = [make_generation(user, model="wan2.7-image", status=Status.SUCCEEDED) for _ in "ab"]
    for record in owned:
        task = client.submit(record.image_request())
        Generation.objects.filter(pk=record.pk).update(task_id=task.task_id)
    generation = lost_submit(user, model="wan2.7-image", prompt="lost answer")
    task = client.submit(generation.image_request())  # DashScope got it; nobody saved the id

    run_dispatcher()

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.SUCCEEDED, task.task_id)
    assert generation.images.count() == 1
    assert dashscope.stats()["submits"] == 3  # nothing resent


def test_two_wan27_tasks_nobody_owns_cannot_be_told_apart_so_neither_is_taken_nor_resent(
    dashscope, user, client, settings
):
    generation = lost_submit(user, model="wan2.7-image")
    outside = client.submit(ImageRequest(model="wan2.7-image", prompt="made outside wanxweb"))
    client.submit(generation.image_request())

    # Past the listing delay: the list is read, and read again, and again.
    run_dispatcher(seconds=4 * settings.DASHSCOPE_LISTING_DELAY_SECONDS)

    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (Status.SUBMITTING, "")
    assert dashscope.stats()["submits"] == 2
    assert not Generation.objects.filter(task_id=outside.task_id).exists()
