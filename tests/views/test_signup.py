"""Creating an account through an invitation (or, with SIGNUP=open, at /accounts/signup/), and
resetting a password by email where email can be sent."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from gallery.models import Invitation, Role

User = get_user_model()
NEW = {"username": "dora", "password1": "a-long-harbour-2026", "password2": "a-long-harbour-2026"}


@pytest.fixture
def invitation(team, user):
    return Invitation.objects.create(team=team, role=Role.VIEWER, created_by=user)


def test_someone_without_an_account_creates_one_and_joins_in_one_step(client, invitation):
    url = invitation.get_absolute_url()
    page = client.get(url).content.decode()
    assert "You are invited to join <strong>Lighthouse keepers</strong> as a viewer." in page
    assert f'href="/accounts/login/?next={url}"' in page

    response = client.post(url, NEW)

    dora = User.objects.get(username="dora")
    assert (
        response.status_code == 302 and response["Location"] == invitation.team.get_absolute_url()
    )
    assert invitation.team.role_of(dora) == Role.VIEWER
    assert client.get(reverse("gallery:home")).context["user"] == dora  # logged in
    invitation.refresh_from_db()
    assert invitation.accepted_by == dora


def test_a_password_django_refuses_is_said_at_its_field_and_nothing_is_made(client, invitation):
    response = client.post(
        invitation.get_absolute_url(), {**NEW, "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(username="dora").exists()
    invitation.refresh_from_db()
    assert invitation.is_open


def test_a_link_used_meanwhile_makes_no_account(client, invitation, outsider):
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 200
    invitation.accept(outsider)  # someone else was quicker

    response = client.post(invitation.get_absolute_url(), NEW)

    assert "This invitation can no longer be used" in response.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_with_signup_closed_an_invitation_asks_to_log_in(client, invitation, settings):
    settings.SIGNUP = "closed"
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_the_open_sign_up_page_is_there_only_when_sign_up_is_open(client, db, settings, mode):
    settings.SIGNUP = mode
    assert client.get(reverse("signup")).status_code == 404
    assert "Create an account" not in client.get(reverse("login")).content.decode()


def test_with_sign_up_open_anyone_creates_an_account(client, db, settings):
    settings.SIGNUP = "open"
    assert 'href="/accounts/signup/"' in client.get(reverse("login")).content.decode()
    response = client.post(reverse("signup"), NEW)
    assert response.status_code == 302
    assert client.get(reverse("gallery:home")).context["user"].username == "dora"


def test_without_email_there_is_no_password_reset(client, db, settings):
    settings.EMAIL_CONFIGURED = False
    assert "Forgot your password?" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("password_reset")).status_code == 404
    assert 'name="email"' not in client.get(reverse("signup")).content.decode()


def test_with_email_a_forgotten_password_is_reset_through_a_link(client, user, settings):
    settings.EMAIL_CONFIGURED = True
    user.email = "alice@example.com"
    user.save()
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()

    client.post(reverse("password_reset"), {"email": "alice@example.com"})

    (email,) = mail.outbox
    assert email.to == ["alice@example.com"] and "alice" in email.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body)[1]
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-beam-7", "new_password2": "a-brand-new-beam-7"},
        follow=True,
    )
    assert "Password changed" in done.content.decode()
    client.post(reverse("logout"))
    login = client.post(reverse("login"), {"username": "alice", "password": "a-brand-new-beam-7"})
    assert login.status_code == 302 and login["Location"] == reverse("gallery:home")


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, user, settings):
    settings.EMAIL_CONFIGURED = True
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []
