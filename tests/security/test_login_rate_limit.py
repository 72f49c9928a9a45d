"""Guessing passwords: after five wrong ones for a username from one address, that pair is
refused for a while, on the login page and the admin's alike (django-axes). Behind nginx, the
address is the person's, not the proxy's."""

import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed attempts to log in as “alice” from your address."
NGINX = "127.0.0.1"  # behind the proxy, every request reaches gunicorn from its address


def log_in(client, password, url="/accounts/login/", username="alice", ip="203.0.113.7", **headers):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def through_nginx(person, forged=None):
    """Where a request comes from once deploy/nginx.conf has passed it on: the proxy's address,
    with the person's appended to any X-Forwarded-For they sent themselves."""
    forwarded = f"{forged}, {person}" if forged else person
    return {"ip": NGINX, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def behind_nginx(settings, monkeypatch):
    """The settings that TRUSTED_PROXY_COUNT=1 gives, as README says to set behind nginx."""
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    configured = runpy.run_path(str(Path(settings.BASE_DIR) / "wanxweb" / "settings.py"))
    for name, value in configured.items():
        if "IPWARE" in name:  # what django-axes reads to find the address
            setattr(settings, name, value)


def fail(client, times, **where):
    """`times` wrong passwords: the form again with its error, until the fifth locks."""
    for attempt in range(1, times + 1):
        response = log_in(client, "not-the-password", **where)
        if attempt < 5:
            assert response.status_code == 200
            assert "Please enter a correct username and password" in response.content.decode()
        else:
            assert response.status_code == 429


def test_the_limit_is_five_failures_for_a_quarter_of_an_hour():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_four_failures_still_let_the_right_password_in(client, user):
    fail(client, 4)
    response = log_in(client, PASSWORD)
    assert response.status_code == 302 and response.url == "/"


def test_the_fifth_failure_locks_even_the_right_password_out(client, user):
    fail(client, 5)

    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and "Try again in 15 minutes." in page
    assert "<h1>Log in</h1>" in page  # the app's own page, not a bare text answer
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_starts_the_count_again(client, user):
    fail(client, 4)
    log_in(client, PASSWORD)
    client.post("/accounts/logout/")
    fail(client, 4)
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lock_holds_one_username_from_one_address(client, user, other_user):
    fail(client, 5)
    assert log_in(client, PASSWORD).status_code == 429
    # bob, from the same address, and alice from another one still get in
    assert log_in(client, "builder-2026", username="bob").status_code == 302
    client.post("/accounts/logout/")
    assert log_in(client, PASSWORD, ip="198.51.100.20").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, user):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, PASSWORD).status_code == 302


def test_the_admin_login_counts_and_is_locked_too(client, admin_user):
    admin = {"url": "/admin/login/", "username": "admin"}
    for _ in range(5):
        log_in(client, "not-the-password", **admin)

    response = log_in(client, "password", **admin)  # admin_user's real password

    assert response.status_code == 429
    assert "Too many failed attempts to log in as “admin”" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still to the login page


def test_failures_on_one_login_form_count_on_the_other(client, admin_user):
    fail(client, 3, username="admin")
    for _ in range(2):
        log_in(client, "not-the-password", url="/admin/login/", username="admin")
    assert log_in(client, "password", username="admin").status_code == 429


def test_behind_nginx_an_attackers_failures_do_not_lock_the_owner_out(client, user, behind_nginx):
    attacker, owner = through_nginx("198.51.100.66"), through_nginx("203.0.113.7")
    fail(client, 5, **attacker)
    assert log_in(client, PASSWORD, **attacker).status_code == 429

    response = log_in(client, PASSWORD, **owner)

    assert response.status_code == 302 and response.url == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_behind_nginx_an_address_the_attacker_writes_himself_changes_nothing(
    client, user, behind_nginx
):
    for attempt in range(5):
        forged = f"192.0.2.{attempt}, 203.0.113.7"  # even the owner's address
        log_in(client, "not-the-password", **through_nginx("198.51.100.66", forged))

    # The lock is on his real address, with or without a header of his own.
    for forged in ["192.0.2.99", None]:
        response = log_in(client, PASSWORD, **through_nginx("198.51.100.66", forged))
        assert response.status_code == 429 and LOCKED in response.content.decode()
    assert log_in(client, PASSWORD, **through_nginx("203.0.113.7")).status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, user):
    # No TRUSTED_PROXY_COUNT: the header is the client's own words, whatever it says.
    for attempt in range(5):
        log_in(client, "not-the-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")

    response = log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20")

    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def change_password(client, old, new="tide-pools-at-low-sun"):
    return client.post(
        "/accounts/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
        REMOTE_ADDR="203.0.113.7",
    )


def test_wrong_old_passwords_lock_the_password_change_too(client, user):
    client.force_login(user)
    for _ in range(4):
        response = change_password(client, "not-the-password")
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
    assert change_password(client, "not-the-password").status_code == 429

    response = change_password(client, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many wrong passwords for “alice” from your address." in page
    assert "Try again in 15 minutes." in page and "<h1>Change password</h1>" in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_wrong_old_passwords_count_towards_the_login_lockout(client, user):
    client.force_login(user)
    for _ in range(3):
        change_password(client, "not-the-password")
    client.post("/accounts/logout/")
    assert log_in(client, "not-the-password").status_code == 200
    assert log_in(client, "not-the-password").status_code == 429  # the fifth in all
    assert log_in(client, PASSWORD).status_code == 429
