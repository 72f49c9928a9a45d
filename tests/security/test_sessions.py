"""Sessions: a session id planted before login is worthless after it (fixation), and logging
out ends the session on the server, so a copied cookie no longer works."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db
COOKIE = settings.SESSION_COOKIE_NAME


def log_in(client):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"


def test_logging_in_gives_a_new_session_id_and_the_planted_one_logs_nobody_in(client, user):
    planted = SessionStore()
    planted["planted"] = "by an attacker"
    planted.create()
    client.cookies[COOKIE] = planted.session_key

    log_in(client)

    assert client.cookies[COOKIE].value != planted.session_key
    assert client.get("/").status_code == 200  # alice is in, with her new id
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    attacker = client.__class__()
    attacker.cookies[COOKIE] = planted.session_key
    assert attacker.get("/").status_code == 302  # to the login page


def test_logging_out_ends_the_session_on_the_server(client, user):
    log_in(client)
    stolen = client.cookies[COOKIE].value

    response = client.post("/accounts/logout/")

    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert not Session.objects.filter(session_key=stolen).exists()
    replay = client.__class__()
    replay.cookies[COOKIE] = stolen
    response = replay.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_logging_out_takes_a_post_not_a_link(client, user):
    log_in(client)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200  # still logged in


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(client, user):
    log_in(client)
    cookie = client.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_logging_in_never_sends_the_user_to_another_site(client, user, next_url):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302 and response.url == "/"


def test_password_reset_is_not_offered_without_email_set_up(client):
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.post("/accounts/password_reset/", {"email": "a@example.com"}).status_code == 404
