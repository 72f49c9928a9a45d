import pytest

from gallery.dashscope.client import DashScopeClient
from gallery.models import Generation

from ..conftest import TEST_KEY, make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


def test_a_generation_queued_here_is_cancelled_at_once(client, user):
    generation = make_generation(user)
    client.force_login(user)
    assert "Cancel" in client.get(f"/g/{generation.pk}/card/").content.decode()

    response = client.post(f"/g/{generation.pk}/cancel/", headers={"HX-Request": "true"})

    generation.refresh_from_db()
    assert generation.status == Status.CANCELED
    body = response.content.decode()
    assert "Cancelled before it was sent to DashScope" in body and "Cancelled" in body


def test_a_task_pending_at_dashscope_is_cancelled_there(client, user, dashscope):
    dashscope.config.pending_seconds = 30
    generation = make_generation(user)
    task = DashScopeClient(dashscope.base_url, TEST_KEY).submit(generation.image_request())
    Generation.objects.filter(pk=generation.pk).update(status=Status.PENDING, task_id=task.task_id)
    client.force_login(user)

    client.post(f"/g/{generation.pk}/cancel/")

    generation.refresh_from_db()
    assert generation.status == Status.CANCELED
    assert dashscope.stats()["tasks"][task.task_id]["status"] == "CANCELED"


def test_a_running_task_cannot_be_cancelled_and_says_so(client, user, dashscope):
    dashscope.config.pending_seconds = 0
    generation = make_generation(user)
    task = DashScopeClient(dashscope.base_url, TEST_KEY).submit(generation.image_request())
    Generation.objects.filter(pk=generation.pk).update(status=Status.PENDING, task_id=task.task_id)
    client.force_login(user)

    response = client.post(f"/g/{generation.pk}/cancel/", headers={"HX-Request": "true"})

    assert "can no longer be cancelled" in response.content.decode()
    generation.refresh_from_db()
    assert generation.status == Status.PENDING


def test_only_the_author_cancels(client, team, user, other_user):
    generation = make_generation(user, team=team)
    client.force_login(other_user)
    assert "Cancel</button>" not in client.get(f"/g/{generation.pk}/card/").content.decode()
    client.post(f"/g/{generation.pk}/cancel/")
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED


def test_an_outsider_gets_404(client, user, outsider):
    generation = make_generation(user)
    client.force_login(outsider)
    assert client.post(f"/g/{generation.pk}/cancel/").status_code == 404
