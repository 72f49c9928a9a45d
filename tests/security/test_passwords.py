"""Passwords: Django's four validators refuse weak new passwords; the first admin that
`make run` creates still gets a password they accept, in a file only its owner may read."""

import os
import stat

import pytest
from django.conf import global_settings
from django.contrib.auth.password_validation import validate_password

from gallery.management.commands import welcome
from wanxweb import settings as app_settings

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("k7#Qz", "too short. It must contain at least 8 characters"),
        ("password123", "too common"),
        ("8675309142", "entirely numeric"),
        ("alice2026", "too similar to the username"),
    ],
)
def test_changing_to_a_weak_password_is_refused_with_the_reason(client, user, new, words):
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 200
    assert words in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_strong_password_is_taken(client, user):
    client.force_login(user)
    new = "tide-pools-at-low-sun"
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_the_first_admin_of_make_run_gets_a_valid_password_and_can_log_in(
    client, tmp_path, monkeypatch, django_user_model
):
    monkeypatch.setattr(welcome, "PASSWORD_FILE", tmp_path / "admin-password.txt")

    told = welcome.Command()._ensure_admin("admin")

    password = (tmp_path / "admin-password.txt").read_text().strip()
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and password in told
    validate_password(password, admin)  # raises if a validator refuses it
    response = client.post("/admin/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Files made the plain way are then readable and writable by everyone."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_the_first_admins_password_file_is_for_its_owner_alone(tmp_path, monkeypatch, open_umask):
    monkeypatch.setattr(welcome, "PASSWORD_FILE", tmp_path / "admin-password.txt")

    welcome.Command()._ensure_admin("admin")

    assert mode(tmp_path / "admin-password.txt") == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["admin-password.txt"]  # no temporary


def test_a_password_file_left_readable_by_others_is_closed_on_the_next_run(
    tmp_path, monkeypatch, django_user_model
):
    saved = tmp_path / "admin-password.txt"
    monkeypatch.setattr(welcome, "PASSWORD_FILE", saved)
    django_user_model.objects.create_superuser("admin", password=PASSWORD)
    saved.write_text(PASSWORD + "\n")
    saved.chmod(0o644)

    told = welcome.Command()._ensure_admin("admin")

    assert mode(saved) == 0o600 and PASSWORD in told


def test_the_secret_key_file_is_for_its_owner_alone(tmp_path, open_umask):
    app_settings.write_private(tmp_path / "secret-key.txt", "k" * 50)
    assert mode(tmp_path / "secret-key.txt") == 0o600


def test_outside_the_tests_passwords_are_hashed_with_a_slow_hasher():
    """The tests hash with MD5 for speed (tests/conftest.py); the app itself must not."""
    hashers = getattr(app_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
