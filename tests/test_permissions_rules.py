"""Who may see and do what, beyond tests/test_url_permissions.py, tests/security/test_ids.py and
the view tests: the cases `make mutate` showed no test held."""

import pytest

from gallery.models import Board, BoardItem, Comment, Generation, Role, Team

from .factories import make_generation, store_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(user, other_user) -> Team:
    """bob's team, where alice is a member."""
    team = Team.create("Bob's studio", owner=other_user)
    team.memberships.create(user=user, role=Role.MEMBER)
    return team


def test_a_team_member_asking_for_another_teams_id_is_not_shown_their_own(client, user, other_user):
    mine = Team.create("Alice's studio", owner=user)
    theirs = Team.create("Bob's studio", owner=other_user)
    client.force_login(user)

    assert client.get(f"/teams/{theirs.pk}/").status_code == 404
    assert client.get(f"/teams/{mine.pk}/").status_code == 200


def test_deleting_someone_elses_comment_by_its_id_leaves_ones_own_alone(client, user, team):
    generation = make_generation(team.owner, team=team)
    mine = Comment.objects.create(generation=generation, author=user, body="Crop it?")
    theirs = Comment.objects.create(generation=generation, author=team.owner, body="No.")
    client.force_login(user)

    assert client.post(f"/comments/{theirs.pk}/delete/").status_code == 404
    assert Comment.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2


def test_a_comment_on_a_generation_one_no_longer_sees_cannot_be_deleted(client, user, team):
    generation = make_generation(team.owner, team=team)
    comment = Comment.objects.create(generation=generation, author=user, body="Crop it?")
    team.memberships.filter(user=user).delete()  # alice left the team
    client.force_login(user)

    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_remove_is_offered_on_a_board_only_to_those_who_may_change_it(
    client, user, team, media_root
):
    team.memberships.filter(user=user).update(role=Role.VIEWER)
    Board.objects.create(name="Alice picks", owner=user)  # a board alice may change
    board = Board.objects.create(name="Harbour moodboard", team=team)
    generation = make_generation(team.owner, team=team, status=Generation.Status.SUCCEEDED)
    BoardItem.objects.create(board=board, image=store_image(generation, 0))

    client.force_login(user)
    assert ">Remove</button>" not in client.get(f"/boards/{board.pk}/").content.decode()
    client.force_login(team.owner)
    assert ">Remove</button>" in client.get(f"/boards/{board.pk}/").content.decode()
