"""The DashScope API key never shows: not in pages, fragments, admin, logs, or stored q2 tasks."""

import logging

import pytest
from django_q.models import OrmQ, Task

from gallery.dispatcher import Dispatcher
from gallery.models import Generation

from .conftest import TEST_KEY, make_generation

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_key_appears_nowhere_a_person_or_a_log_can_see(dashscope, client, admin_user, caplog):
    caplog.set_level(logging.DEBUG)
    done = make_generation(admin_user, n=2)
    dashscope.config.valid_keys = [TEST_KEY]
    Dispatcher().run(max_seconds=10)
    dashscope.config.valid_keys = ["sk-another-key"]  # now every call fails with InvalidApiKey
    refused = make_generation(admin_user, prompt="refused")
    Dispatcher().run(max_seconds=10)
    done.refresh_from_db()
    refused.refresh_from_db()
    assert done.status == Generation.Status.SUCCEEDED
    assert (refused.status, refused.error_code) == (Generation.Status.FAILED, "InvalidApiKey")

    client.force_login(admin_user)
    pages = [
        "/",
        f"/g/{done.pk}/",
        f"/g/{done.pk}/card/",
        f"/g/{refused.pk}/",
        f"/g/{refused.pk}/card/",
        "/admin/gallery/generation/",
        f"/admin/gallery/generation/{done.pk}/change/",
        f"/admin/gallery/generation/{refused.pk}/change/",
        "/admin/django_q/success/",
    ]
    seen = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        seen.append(response.content.decode())
    seen.append(caplog.text)
    seen += [repr((t.args, t.kwargs, t.result)) for t in Task.objects.all()]
    seen += [repr(q.task()) for q in OrmQ.objects.all()]

    assert "InvalidApiKey" in "".join(seen)  # the failure itself is shown…
    assert all(TEST_KEY not in text for text in seen)  # …but never the key
