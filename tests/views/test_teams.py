"""Teams: create, invite, manage members, leave, and the team gallery."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Generation, Invitation, Role, Team

from ..factories import create_user, make_generation

pytestmark = pytest.mark.django_db


def test_creating_a_team_makes_you_its_owner(client, user):
    client.force_login(user)
    response = client.post("/teams/", {"name": "Night shift"})
    team = Team.objects.get()
    assert response.url == f"/teams/{team.pk}/"
    assert team.role_of(user) == Role.OWNER
    assert "Night shift" in client.get("/").content.decode()  # in the user's menu


def test_the_team_page_lists_members_and_roles(client, team, other_user):
    client.force_login(other_user)
    body = client.get(f"/teams/{team.pk}/").content.decode()
    for text in ["alice", "bob", "carol", "Owner", "Member", "Viewer"]:
        assert text in body
    assert "Create an invitation link" not in body  # only the owner invites


def test_the_owner_invites_with_a_single_use_link(client, user, team, outsider):
    client.force_login(user)
    client.post(f"/teams/{team.pk}/invitations/", {"role": "member"})
    invitation = Invitation.objects.get()
    assert invitation.get_absolute_url() in client.get(f"/teams/{team.pk}/").content.decode()

    client.force_login(outsider)
    assert f"Join {team}" in client.get(invitation.get_absolute_url()).content.decode()
    response = client.post(invitation.get_absolute_url())
    assert response.url == f"/teams/{team.pk}/"
    assert team.role_of(outsider) == Role.MEMBER

    latecomer = create_user("trudy", "latecomer-2026")
    client.force_login(latecomer)
    client.post(invitation.get_absolute_url())
    assert "can no longer be used" in client.get(invitation.get_absolute_url()).content.decode()
    assert team.role_of(latecomer) is None


@pytest.mark.parametrize("spoil", ["revoked", "expired"])
def test_a_revoked_or_expired_link_admits_nobody(client, user, team, outsider, spoil):
    invitation = team.invitations.create(role=Role.VIEWER, created_by=user)
    if spoil == "revoked":
        client.force_login(user)
        client.post(f"/teams/{team.pk}/invitations/{invitation.pk}/revoke/")
    else:
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    client.force_login(outsider)
    client.post(invitation.get_absolute_url())

    assert team.role_of(outsider) is None


def test_an_unknown_link_is_404(client, outsider):
    client.force_login(outsider)
    assert client.get("/join/not-a-real-token/").status_code == 404


def test_a_member_cannot_invite(client, team, other_user):
    client.force_login(other_user)
    assert client.post(f"/teams/{team.pk}/invitations/", {"role": "member"}).status_code == 404
    assert not Invitation.objects.exists()


def test_removing_a_member_keeps_what_they_shared_under_the_owner(client, user, other_user, team):
    shared = make_generation(other_user, team=team, prompt="bob's shared")
    private = make_generation(other_user, prompt="bob's own")
    client.force_login(user)

    client.post(f"/teams/{team.pk}/members/{other_user.pk}/remove/")

    assert team.role_of(other_user) is None
    shared.refresh_from_db()
    private.refresh_from_db()
    assert (shared.team, shared.owner) == (team, user)
    assert (private.team, private.owner) == (None, other_user)


def test_a_member_who_leaves_leaves_what_they_shared_to_the_owner(client, user, other_user, team):
    shared = make_generation(other_user, team=team, prompt="bob's shared")
    private = make_generation(other_user, prompt="bob's own")
    client.force_login(other_user)

    client.post(f"/teams/{team.pk}/leave/")

    assert team.role_of(other_user) is None
    shared.refresh_from_db()
    private.refresh_from_db()
    assert (shared.team, shared.owner) == (team, user)
    assert (private.team, private.owner) == (None, other_user)
    client.force_login(user)
    assert "bob&#x27;s shared" in client.get(f"/teams/{team.pk}/gallery/").content.decode()


@pytest.mark.parametrize("departure", ["leaves", "is removed"])
def test_what_a_member_trashed_stays_in_their_trash_when_they_go(
    client, user, other_user, team, departure
):
    trashed = make_generation(
        other_user, team=team, prompt="bob's discarded", status=Generation.Status.SUCCEEDED
    )
    client.force_login(other_user)
    client.post(f"/g/{trashed.pk}/delete/")

    if departure == "leaves":
        client.post(f"/teams/{team.pk}/leave/")
    else:
        client.force_login(user)
        client.post(f"/teams/{team.pk}/members/{other_user.pk}/remove/")

    assert team.role_of(other_user) is None
    for person in [user, team.viewer]:  # the team's owner, and everyone else in it
        client.force_login(person)
        assert "discarded" not in client.get("/trash/").content.decode()
        assert client.post(f"/g/{trashed.pk}/restore/").status_code == 404
        assert client.get(f"/g/{trashed.pk}/").status_code == 404
        assert "discarded" not in client.get(f"/teams/{team.pk}/gallery/").content.decode()

    client.force_login(other_user)
    assert "discarded" in client.get("/trash/").content.decode()
    client.post(f"/g/{trashed.pk}/restore/")
    assert client.get(f"/g/{trashed.pk}/").status_code == 200
    for person in [user, team.viewer]:  # restored, it is private: not back in the team
        client.force_login(person)
        assert client.get(f"/g/{trashed.pk}/").status_code == 404


def test_a_member_can_leave_but_the_owner_must_pass_ownership_first(client, user, other_user, team):
    client.force_login(user)
    client.post(f"/teams/{team.pk}/leave/")
    assert team.role_of(user) == Role.OWNER

    client.post(f"/teams/{team.pk}/members/{other_user.pk}/role/", {"role": "owner"})
    assert (team.role_of(user), team.role_of(other_user)) == (Role.MEMBER, Role.OWNER)

    client.post(f"/teams/{team.pk}/leave/")
    assert team.role_of(user) is None


def test_the_owner_changes_a_role(client, user, team):
    client.force_login(user)
    client.post(f"/teams/{team.pk}/members/{team.viewer.pk}/role/", {"role": "member"})
    assert team.role_of(team.viewer) == Role.MEMBER


def test_members_and_viewers_see_the_team_gallery_with_authors(client, team, other_user, user):
    make_generation(other_user, team=team, prompt="harbour at night")
    make_generation(other_user, prompt="bob's private sketch")
    client.force_login(team.viewer)
    body = client.get(f"/teams/{team.pk}/gallery/").content.decode()
    assert "harbour at night" in body and "by bob" in body
    assert "private sketch" not in body


def test_a_team_generation_is_visible_to_members_only(
    client, team, other_user, outsider, media_root
):
    generation = make_generation(other_user, team=team)
    for person, status in [(team.viewer, 200), (team.owner, 200), (outsider, 404)]:
        client.force_login(person)
        assert client.get(f"/g/{generation.pk}/").status_code == status
        assert client.get(f"/g/{generation.pk}/card/").status_code == status


def test_the_team_page_says_in_a_sentence_what_you_are_there(client, team, user, other_user):
    sentences = {
        user: "You are the <strong>owner</strong> here.",
        other_user: "You are a <strong>member</strong> here.",
        team.viewer: "You are a <strong>viewer</strong> here.",
    }
    for person, sentence in sentences.items():
        client.force_login(person)
        assert sentence in client.get(f"/teams/{team.pk}/").content.decode()
