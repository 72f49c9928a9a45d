"""Methods no route takes (PUT, PATCH, DELETE): every gallery route answers them 405 after the
login, anonymous requests go to the login page, and nothing changes. (tests/test_url_permissions
.py walks GET and POST for every role.)"""

import re

import pytest
from django.utils import timezone

from gallery.models import Board, BoardItem, Comment, Generation, Invitation, Membership, Role, Team
from gallery.urls import urlpatterns

from ..factories import finished_generation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
METHODS = ("put", "patch", "delete")
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture
def ids(user, other_user) -> dict:
    """Real objects of alice's for every kind of id a route takes, so a route that did act on
    one of these methods would change something."""
    team = Team.create("Lighthouse keepers", owner=user)
    team.memberships.create(user=other_user, role=Role.MEMBER)
    generation = finished_generation(user, team=team, completed_at=timezone.now())
    board = Board.objects.create(name="Picks", team=team)
    item = board.items.create(image=generation.images.get(), added_by=user)
    comment = Comment.objects.create(generation=generation, author=user, body="Crop it?")
    invitation = team.invitations.create(role=Role.MEMBER, created_by=user)
    return {
        "g": generation.pk,
        "boards": board.pk,
        "teams": team.pk,
        "comments": comment.pk,
        "index": 0,
        "item_pk": item.pk,
        "invitation_pk": invitation.pk,
        "user_pk": other_user.pk,
        "token": invitation.token,
    }


def url_for(pattern, ids: dict) -> str:
    """The route's URL with alice's objects: `pk` is whatever its first path segment names."""
    text = str(pattern.pattern)
    kind = text.split("/", 1)[0]
    return "/" + PARAMETER.sub(lambda m: str(ids.get(kind if m[1] == "pk" else m[1], 1)), text)


def state() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Generation, Board, BoardItem, Team, Membership, Invitation, Comment)
    ]


@pytest.mark.parametrize("method", METHODS)
def test_no_route_takes_put_patch_or_delete(client, user, ids, method):
    client.force_login(user)
    before = state()
    taken = []
    for pattern in urlpatterns:
        url = url_for(pattern, ids)
        response = getattr(client, method)(url)
        if response.status_code != 405:
            taken.append(f"{url} → {response.status_code}")
    assert not taken, f"{method.upper()} was not refused"
    assert state() == before


@pytest.mark.parametrize("method", METHODS)
def test_anonymous_requests_of_any_method_go_to_the_login_page(client, ids, method):
    """All but the invitation page, which is for people without an account too: it refuses
    the method as it does for anyone."""
    for pattern in urlpatterns:
        url = url_for(pattern, ids)
        response = getattr(client, method)(url)
        if pattern.name == "join":
            assert response.status_code == 405, url
            continue
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url
