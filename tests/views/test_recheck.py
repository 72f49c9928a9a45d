from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Generation

from ..conftest import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


def make_timed_out(user, submitted_hours_ago):
    return make_generation(
        user,
        status=Status.FAILED,
        error_code="TimedOut",
        task_id="t-1",
        submitted_at=timezone.now() - timedelta(hours=submitted_hours_ago),
    )


@pytest.fixture
def timed_out(user):
    return make_timed_out(user, submitted_hours_ago=1)


def test_it_puts_a_timed_out_task_back_under_watch(client, user, timed_out, take_queued_jobs):
    client.force_login(user)
    response = client.post(f"/g/{timed_out.pk}/recheck/", headers={"HX-Request": "true"})

    timed_out.refresh_from_db()
    assert (timed_out.status, timed_out.error_code) == (Status.RUNNING, "")
    assert "Running" in response.content.decode()
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]


def test_a_timed_out_card_offers_the_check(client, user, timed_out):
    client.force_login(user)
    assert "Check again at DashScope" in client.get(f"/g/{timed_out.pk}/card/").content.decode()


def test_a_task_older_than_dashscope_keeps_it_cannot_be_rechecked(client, user):
    expired = make_timed_out(user, submitted_hours_ago=25)
    client.force_login(user)
    assert "Check again" not in client.get(f"/g/{expired.pk}/card/").content.decode()
    client.post(f"/g/{expired.pk}/recheck/")
    expired.refresh_from_db()
    assert expired.status == Status.FAILED


def test_it_leaves_other_failures_alone(client, user, take_queued_jobs):
    failed = make_generation(user, status=Status.FAILED, error_code="DataInspectionFailed")
    client.force_login(user)
    body = client.get(f"/g/{failed.pk}/card/").content.decode()
    assert "Check again" not in body

    client.post(f"/g/{failed.pk}/recheck/")

    failed.refresh_from_db()
    assert failed.status == Status.FAILED and not take_queued_jobs()


def test_it_rejects_get(client, user, timed_out):
    client.force_login(user)
    assert client.get(f"/g/{timed_out.pk}/recheck/").status_code == 405


def test_another_user_gets_404(client, other_user, timed_out):
    client.force_login(other_user)
    assert client.post(f"/g/{timed_out.pk}/recheck/").status_code == 404
    timed_out.refresh_from_db()
    assert timed_out.status == Status.FAILED
