"""Who is sent to DashScope next: the user with the fewest tasks there, then the one served
longest ago, then the one who has waited longest."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gallery import fair_queue
from gallery.models import Generation

from .factories import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


def ago(minutes: float):
    return timezone.now() - timedelta(minutes=minutes)


def test_the_user_with_fewer_tasks_at_dashscope_goes_first_even_if_served_more_recently(
    user, other_user, settings
):
    settings.DASHSCOPE_CONCURRENCY = {"*": 3}
    for _ in range(2):  # alice holds two slots with tasks sent long ago
        make_generation(user, status=Status.RUNNING, submitted_at=ago(10), created_at=ago(10))
    make_generation(other_user, status=Status.SUCCEEDED, submitted_at=ago(1), created_at=ago(2))
    make_generation(user, prompt="alice waits longest", created_at=ago(5))
    make_generation(other_user, prompt="bob has nothing at DashScope")

    claimed = fair_queue.claim_next("wanx2.1-t2i-turbo", timezone.now())

    assert claimed.prompt == "bob has nothing at DashScope"
    assert claimed.status == Status.SUBMITTING


def test_among_users_with_as_many_tasks_there_the_one_served_longest_ago_goes_first(
    user, other_user
):
    make_generation(user, status=Status.SUCCEEDED, submitted_at=ago(1), created_at=ago(2))
    make_generation(other_user, status=Status.SUCCEEDED, submitted_at=ago(9), created_at=ago(9))
    make_generation(user, prompt="alice, served a minute ago", created_at=ago(5))
    make_generation(other_user, prompt="bob, served nine minutes ago")

    assert fair_queue.claim_next("wanx2.1-t2i-turbo", timezone.now()).prompt == (
        "bob, served nine minutes ago"
    )


def test_a_record_waiting_out_its_retry_time_is_not_sent_yet(user):
    make_generation(user, retry_at=timezone.now() + timedelta(seconds=30))

    assert fair_queue.free_slots(timezone.now()) == {}
    assert fair_queue.claim_next("wanx2.1-t2i-turbo", timezone.now()) is None


def test_a_new_protocol_model_is_sent_one_at_a_time(user, settings):
    """So that a submit whose answer is lost is the one task of its model nobody owns."""
    settings.DASHSCOPE_CONCURRENCY = {"*": 5}
    for _ in range(3):
        make_generation(user, model="wan2.7-image")
        make_generation(user, model="wanx2.1-t2i-turbo")
    assert fair_queue.free_slots(timezone.now()) == {"wan2.7-image": 1, "wanx2.1-t2i-turbo": 5}

    fair_queue.claim_next("wan2.7-image", timezone.now())

    assert fair_queue.free_slots(timezone.now())["wan2.7-image"] == 0
