from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Generation, Invitation, Role, Team

from ..conftest import create_user, make_generation

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


def test_an_outsider_gets_404_on_every_team_page(client, team, outsider):
    client.force_login(outsider)
    for url in [f"/teams/{team.pk}/", f"/teams/{team.pk}/gallery/"]:
        assert client.get(url).status_code == 404
    for url in [
        f"/teams/{team.pk}/invitations/",
        f"/teams/{team.pk}/leave/",
        f"/teams/{team.pk}/members/{team.owner.pk}/remove/",
    ]:
        assert client.post(url, {"role": "member"}).status_code == 404


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


def test_the_prompt_form_offers_only_teams_you_can_create_in(client, team, user):
    client.force_login(team.viewer)
    assert 'id="field-team"' not in client.get("/").content.decode()
    client.force_login(user)
    body = client.get("/").content.decode()
    assert 'id="field-team"' in body and f'<option value="{team.pk}">Lighthouse keepers' in body


def test_creating_into_a_team_shares_it_and_is_remembered(client, team, other_user):
    client.force_login(other_user)
    data = {"model": "wanx2.1-t2i-turbo", "prompt": "x", "size": "1024*1024", "n": 1}
    client.post("/", {**data, "team": team.pk})
    assert Generation.objects.get().team == team
    assert client.get("/").context["form"]["team"].value() == team.pk


def test_a_viewer_cannot_create_into_the_team(client, team):
    client.force_login(team.viewer)
    data = {"model": "wanx2.1-t2i-turbo", "prompt": "x", "size": "1024*1024", "n": 1}
    response = client.post("/", {**data, "team": team.pk})
    assert "Select a valid choice" in " ".join(response.context["form"].errors["team"])
    assert not Generation.objects.exists()


def test_the_author_shares_and_unshares(client, team, other_user):
    generation = make_generation(other_user)
    client.force_login(other_user)
    client.post(f"/g/{generation.pk}/share/", {"team": team.pk})
    generation.refresh_from_db()
    assert generation.team == team
    client.post(f"/g/{generation.pk}/unshare/")
    generation.refresh_from_db()
    assert generation.team is None


def test_only_the_author_or_team_owner_unshares(client, team, user, other_user):
    generation = make_generation(user, team=team)
    client.force_login(other_user)  # a member, not the author
    client.post(f"/g/{generation.pk}/unshare/")
    generation.refresh_from_db()
    assert generation.team == team

    bobs = make_generation(other_user, team=team)
    client.force_login(user)  # the team's owner
    client.post(f"/g/{bobs.pk}/unshare/")
    bobs.refresh_from_db()
    assert bobs.team is None and bobs.owner == other_user


def test_a_viewer_cannot_share_into_the_team(client, team):
    generation = make_generation(team.viewer)
    client.force_login(team.viewer)
    client.post(f"/g/{generation.pk}/share/", {"team": team.pk})
    generation.refresh_from_db()
    assert generation.team is None


@pytest.mark.parametrize("team_id", ["abc", "", "²"])
def test_sharing_to_an_odd_team_id_is_404_not_a_crash(client, other_user, team_id):
    generation = make_generation(other_user)
    client.force_login(other_user)
    assert client.post(f"/g/{generation.pk}/share/", {"team": team_id}).status_code == 404
