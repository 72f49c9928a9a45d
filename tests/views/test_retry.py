import pytest

from gallery.models import Generation

from ..conftest import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


@pytest.fixture
def unknown_outcome(user):
    return make_generation(
        user,
        status=Status.FAILED,
        error_code="SubmitOutcomeUnknown",
        negative_prompt="fog",
        width=800,
        height=1200,
        n=3,
        seed=9,
        watermark=True,
    )


def test_it_queues_a_new_generation_made_from_the_failed_one(
    client, user, unknown_outcome, take_queued_jobs
):
    client.force_login(user)
    body = client.get(f"/g/{unknown_outcome.pk}/card/").content.decode()
    assert "Try again" in body

    response = client.post(f"/g/{unknown_outcome.pk}/retry/")

    assert response.status_code == 302
    again = Generation.objects.exclude(pk=unknown_outcome.pk).get()
    assert (again.status, again.parent, again.owner) == (Status.QUEUED, unknown_outcome, user)
    assert again.image_request() == unknown_outcome.image_request()
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]


def test_it_does_not_copy_a_generation_still_in_flight(client, user):
    running = make_generation(user, status=Status.RUNNING)
    client.force_login(user)
    client.post(f"/g/{running.pk}/retry/")
    assert Generation.objects.count() == 1


def test_it_rejects_get(client, user, unknown_outcome):
    client.force_login(user)
    assert client.get(f"/g/{unknown_outcome.pk}/retry/").status_code == 405


def test_another_user_gets_404(client, other_user, unknown_outcome):
    client.force_login(other_user)
    assert client.post(f"/g/{unknown_outcome.pk}/retry/").status_code == 404
    assert Generation.objects.count() == 1
