"""Error pages are the app's own and give nothing away: no settings, no key, no traceback."""

import pytest
from django.conf import settings

from ..conftest import TEST_KEY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]
GIVEAWAYS = ["Traceback", "settings.py", "DEBUG", "SECRET_KEY", "DASHSCOPE", "RuntimeError"]


@pytest.fixture(autouse=True)
def key(settings):
    settings.DASHSCOPE_API_KEY = TEST_KEY


def assert_own_page(response, status: int, heading: str) -> None:
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body and "wanxweb" in body
    for secret in [TEST_KEY, settings.SECRET_KEY, *GIVEAWAYS]:
        assert secret not in body, f"the {status} page shows {secret!r}"


def test_an_unknown_address_is_the_apps_404(logged_in):
    response = logged_in.get("/no/such/page/")
    assert_own_page(response, 404, "Not found")
    assert "it is not yours to see" in response.content.decode()


def test_a_forbidden_request_is_the_apps_403(logged_in):
    assert_own_page(logged_in.get("/_fail/403/"), 403, "Not allowed")


def test_a_suspicious_request_is_the_apps_400(logged_in):
    assert_own_page(logged_in.get("/_fail/400/"), 400, "Bad request")


def test_a_request_for_another_host_is_the_apps_400(logged_in):
    response = logged_in.get("/", headers={"host": "wanxweb.evil.example"})
    assert_own_page(response, 400, "Bad request")


def test_a_form_too_large_to_take_is_the_apps_413(logged_in):
    prompt = "x" * settings.REQUEST_BODY_MAX_BYTES
    response = logged_in.post("/boards/", {"name": prompt})
    assert_own_page(response, 413, "Too large")


def test_a_missing_csrf_token_is_the_apps_403(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/", {"prompt": "a lighthouse"})
    assert_own_page(response, 403, "This form has expired")


def test_a_crash_is_the_apps_500_without_the_exception(logged_in):
    logged_in.raise_request_exception = False
    response = logged_in.get("/_fail/500/")
    assert_own_page(response, 500, "Something went wrong")
