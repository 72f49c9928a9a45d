"""Ids tell nothing: asking for someone else's generation, image, board, team, invitation or
board item answers exactly what asking for one that does not exist answers."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Board, Comment, Generation, Role, Team

from ..factories import create_user, finished_generation, make_generation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
MISSING = 987_654


@pytest.fixture
def theirs(other_user) -> dict:
    """bob's things, in a team of his that alice is not in."""
    team = Team.create("Bob's studio", owner=other_user)
    done = {"status": Generation.Status.SUCCEEDED, "completed_at": timezone.now()}
    private = finished_generation(other_user, prompt="bob's private one", **done)
    shared = finished_generation(other_user, team=team, prompt="bob's team one", **done)
    failed = make_generation(
        other_user,
        status=Generation.Status.FAILED,
        error_code="TimedOut",
        task_id="task-1",
        submitted_at=timezone.now() - timedelta(minutes=5),
    )
    trashed = make_generation(other_user, deleted_at=timezone.now(), **done)
    board = Board.objects.create(name="Bob's picks", owner=other_user)
    item = board.items.create(image=private.images.get(), added_by=other_user)
    comment = Comment.objects.create(generation=shared, author=other_user, body="Crop it?")
    carol = create_user("carol", "viewer-2026")
    team.memberships.create(user=carol, role=Role.MEMBER)
    return {
        "g": private.pk,
        "shared": shared.pk,
        "failed": failed.pk,
        "trashed": trashed.pk,
        "board": board.pk,
        "item": item.pk,
        "team": team.pk,
        "member": carol.pk,
        "comment": comment.pk,
        "invitation": team.invitations.create(role=Role.MEMBER, created_by=other_user).pk,
    }


def missing(ids: dict) -> dict:
    return dict.fromkeys(ids, MISSING)


# (method, URL, data) for ids `i`: every route that names an object, and every posted id.
REQUESTS = [
    ("GET", "/g/{g}/", {}),
    ("GET", "/g/{shared}/", {}),
    ("GET", "/g/{g}/card/", {}),
    ("GET", "/g/{g}/images/0/original/", {}),
    ("GET", "/g/{g}/images/0/thumbnail/", {}),
    ("GET", "/g/{g}/images/0/download/", {}),
    ("GET", "/g/{g}/images/0/boards/", {}),
    ("GET", "/compare/?a={g}&b={g}", {}),
    ("POST", "/g/{failed}/recheck/", {}),
    ("POST", "/g/{failed}/retry/", {}),
    ("POST", "/g/{g}/share/", {}),
    ("POST", "/g/{shared}/unshare/", {}),
    ("POST", "/g/{g}/star/", {"starred": "1"}),
    ("POST", "/g/{shared}/comments/", {"body": "hello"}),
    ("POST", "/g/{shared}/mark/", {"mark": "picked"}),
    ("POST", "/comments/{comment}/delete/", {}),
    ("POST", "/g/{g}/cancel/", {}),
    ("POST", "/g/{g}/delete/", {}),
    ("POST", "/g/{trashed}/restore/", {}),
    ("POST", "/g/{g}/images/0/boards/", {"board": "{board}"}),
    ("GET", "/boards/{board}/", {}),
    ("POST", "/boards/{board}/rename/", {"name": "mine now"}),
    ("POST", "/boards/{board}/delete/", {}),
    ("POST", "/boards/{board}/items/{item}/remove/", {}),
    ("POST", "/bulk/", {"action": "board", "ids": "{g}", "board": "{board}"}),
    ("GET", "/teams/{team}/", {}),
    ("GET", "/teams/{team}/gallery/", {}),
    ("POST", "/teams/{team}/invitations/", {"role": "viewer"}),
    ("POST", "/teams/{team}/invitations/{invitation}/revoke/", {}),
    ("POST", "/teams/{team}/members/{member}/remove/", {}),
    ("POST", "/teams/{team}/members/{member}/role/", {"role": "viewer"}),
    ("POST", "/teams/{team}/leave/", {}),
]
# alice's own, with a posted id of bob's: his team, his board
POSTED = [
    ("POST", "/g/{own}/share/", {"team": "{team}"}),
    ("POST", "/g/{own}/images/0/boards/", {"board": "{board}"}),
    ("POST", "/bulk/", {"action": "board", "ids": "{own}", "board": "{board}"}),
]
TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value=|"x-csrftoken": )"\w+"')


def answer(client, method: str, url: str, data: dict, ids: dict) -> tuple:
    url = url.format(**ids)
    data = {key: value.format(**ids) for key, value in data.items()}
    response = client.get(url) if method == "GET" else client.post(url, data)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, TOKENS.sub("TOKEN", body.decode(errors="replace"))


@pytest.mark.parametrize(("method", "url", "data"), REQUESTS + POSTED)
def test_someone_elses_id_answers_as_one_that_does_not_exist(
    client, user, theirs, method, url, data
):
    own = finished_generation(user)
    client.force_login(user)

    for_theirs = answer(client, method, url, data, {**theirs, "own": own.pk})
    for_none = answer(client, method, url, data, {**missing(theirs), "own": own.pk})

    assert for_theirs[0] == 404, f"{method} {url}: {for_theirs[0]}"
    assert for_theirs == for_none


def test_a_revoked_invitation_link_does_not_name_the_team(client, user, theirs):
    """Invitation tokens cannot be guessed, so a used or revoked link may say it is one; but
    whoever still holds it (a member removed since) learns nothing more."""
    team = Team.objects.get(pk=theirs["team"])
    revoked = team.invitations.get(pk=theirs["invitation"])
    revoked.revoked_at = timezone.now()
    revoked.save()
    client.force_login(user)

    _, body = answer(client, "GET", f"/join/{revoked.token}/", {}, {})

    assert "This invitation can no longer be used" in body
    assert team.name.replace("'", "&#x27;") not in body


HUGE = 99_999_999_999_999_999_999  # more than any id column holds
# Ticked ids that are not ids are ignored instead (tests/views/test_bulk.py), so not the bulk
# request that ticks only one of bob's.
NAMED_IDS = [request for request in REQUESTS + POSTED if request[2].get("ids") != "{g}"]


@pytest.mark.parametrize(("method", "url", "data"), NAMED_IDS)
def test_an_id_too_large_for_the_database_answers_as_one_that_does_not_exist(
    client, user, theirs, method, url, data
):
    own = finished_generation(user)
    client.force_login(user)

    for_huge = answer(client, method, url, data, {**dict.fromkeys(theirs, HUGE), "own": own.pk})
    for_none = answer(client, method, url, data, {**missing(theirs), "own": own.pk})

    assert for_huge[0] == 404, f"{method} {url}: {for_huge[0]}"
    assert for_huge == for_none
