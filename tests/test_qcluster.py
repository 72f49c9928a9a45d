"""The whole pipeline with a real qcluster process and the simulator, created through the view."""

import pytest

from gallery.models import Generation

from .conftest import served_bytes
from .harness import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status


def test_generations_created_in_the_browser_end_with_stored_images(qcluster, client, user):
    client.force_login(user)
    for i in range(3):
        response = client.post(
            "/",
            {"model": "wanx2.1-t2i-turbo", "prompt": f"harbour {i}", "size": "1024*1024", "n": 2},
        )
        assert response.status_code == 302

    wait_until(
        lambda: Generation.objects.filter(status=Status.SUCCEEDED).count() == 3,
        30,
        lambda: list(Generation.objects.values_list("status", "error_code")),
    )

    for generation in Generation.objects.all():
        assert generation.images.exclude(original="").count() == 2
        response = client.get(f"/g/{generation.pk}/images/0/original/")
        assert served_bytes(response).startswith(b"\x89PNG")
