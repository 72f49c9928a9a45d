"""Text from people and from DashScope is always shown escaped: a script or attribute payload
in a prompt, DashScope's actual prompt or error message, a board, team or comment shows as the
text it is, on every page and fragment that shows it."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from gallery.models import Board, Comment, GeneratedImage, Generation, Role, Team

from ..factories import finished_generation, make_generation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
Status = Generation.Status


def payload(tag: str) -> str:
    """A script, then an attempt to break out of an attribute, both labelled `tag`."""
    return f"<script>alert('{tag}')</script>\" onmouseover=\"alert('{tag}')\" x='"


FIELDS = [
    "prompt",
    "negative",
    "actual",
    "error",
    "image-error",
    "board",
    "team",
    "comment",
    "new-team",
    "new-board",
]
# What a payload would look like had it reached the page unescaped, for any tag.
LIVE = re.compile(r"<script>alert\(|[\"']\s*onmouseover|onmouseover=[\"']")


@pytest.fixture
def world(user, other_user):
    """alice owns a team with a hostile name and bob in it; everything carries a payload."""
    team = Team.create(payload("team"), owner=user)
    team.memberships.create(user=other_user, role=Role.MEMBER)
    done = finished_generation(
        user,
        team=team,
        prompt=payload("prompt"),
        negative_prompt=payload("negative"),
        actual_prompt=payload("actual"),
        n=2,
        images=1,
    )
    GeneratedImage.objects.create(
        generation=done, index=1, error_code="NewCode", error_message=payload("image-error")
    )
    failed = make_generation(
        user,
        team=team,
        prompt="refused",
        status=Status.FAILED,
        error_code="InvalidParameter",  # the code whose explanation quotes DashScope's message
        error_message=payload("error"),
    )
    board = Board.objects.create(name=payload("board"), team=team)
    board.items.create(image=done.images.get(index=0), added_by=user)
    Comment.objects.create(generation=done, author=other_user, body=payload("comment"))
    return {"team": team, "done": done, "failed": failed, "board": board, "bob": other_user}


def pages(w) -> list[tuple[str, dict]]:
    done, failed, team, board = w["done"], w["failed"], w["team"], w["board"]
    htmx = {"HX-Request": "true"}
    return [
        ("/", {}),
        ("/?q=script", {}),
        ("/?q=script", htmx),  # the review results fragment
        (f"/?remix={done.pk}", {}),  # the prompt form filled in with it
        (f"/g/{done.pk}/", {}),
        (f"/g/{done.pk}/card/", htmx),
        (f"/g/{failed.pk}/", {}),
        (f"/g/{failed.pk}/card/", htmx),
        (f"/g/{done.pk}/images/0/boards/", htmx),
        (f"/compare/?a={done.pk}&b={failed.pk}", {}),
        (f"/teams/{team.pk}/gallery/", {}),
        (f"/teams/{team.pk}/", {}),
        ("/teams/", {}),
        ("/boards/", {}),
        (f"/boards/{board.pk}/", {}),
    ]


def assert_escaped(body: str, where: str) -> None:
    live = LIVE.search(body)
    assert live is None, (
        f"{where} shows a live payload: …{body[live.start() - 80 : live.end() + 80]}…"
    )


def shown(bodies: list[str]) -> set[str]:
    """Which payloads the pages showed, as text."""
    return {tag for tag in FIELDS if any(escape(payload(tag)) in body for body in bodies)}


def test_every_page_and_fragment_shows_the_payloads_as_text(client, user, world):
    client.force_login(user)
    bodies = []
    for url, headers in pages(world):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_escaped(body, url)
        bodies.append(body)
    missing = set(FIELDS) - {"new-team", "new-board"} - shown(bodies)
    assert not missing, f"never shown, so never checked: {missing}"


def test_what_the_forms_take_is_shown_as_text_in_the_answers(client, user, world):
    client.force_login(user)
    done, team, board = world["done"], world["team"], world["board"]
    htmx = {"HX-Request": "true"}
    answers = [
        client.post("/teams/", {"name": payload("new-team")}, follow=True),
        client.post("/boards/", {"name": payload("new-board"), "team": ""}, follow=True),
        client.post(
            "/",
            {
                "model": "wanx2.1-t2i-turbo",
                "prompt": payload("prompt"),
                "size": "1024*1024",
                "n": 1,
            },
            headers=htmx,
        ),
        client.post("/", {"prompt": payload("prompt"), "n": "9"}),  # refused: the form again
        client.post(f"/g/{done.pk}/comments/", {"body": payload("comment")}, headers=htmx),
        client.post(f"/g/{done.pk}/mark/", {"mark": "picked"}, headers=htmx),
        client.post(f"/g/{done.pk}/star/", {"starred": "1"}, headers=htmx),
        client.post(f"/boards/{board.pk}/rename/", {"name": payload("board") + "!"}, follow=True),
        client.post(
            "/bulk/", {"action": "board", "ids": [done.pk], "board": board.pk}, follow=True
        ),  # its message names the board
    ]
    private = make_generation(user, prompt="to share")
    answers.append(client.post(f"/g/{private.pk}/share/", {"team": team.pk}, follow=True))
    bodies = []
    for response in answers:
        assert response.status_code == 200, response.request["PATH_INFO"]
        body = response.content.decode()
        assert_escaped(body, response.request["PATH_INFO"])
        bodies.append(body)
    assert {"new-team", "new-board", "prompt", "comment", "board", "team"} <= shown(bodies)


def test_the_invitation_page_shows_the_team_name_as_text(client, outsider, user, world):
    invitation = world["team"].invitations.create(role=Role.MEMBER, created_by=user)
    client.force_login(outsider)
    body = client.get(f"/join/{invitation.token}/").content.decode()
    assert_escaped(body, "the invitation page")
    assert escape(payload("team")) in body


def test_the_admin_shows_the_payloads_as_text(admin_user, world):
    admin = Client()
    admin.force_login(admin_user)
    done, failed = world["done"], world["failed"]
    bodies = []
    for url in [
        "/admin/gallery/generation/",
        f"/admin/gallery/generation/{done.pk}/change/",
        f"/admin/gallery/generation/{failed.pk}/change/",
        "/admin/gallery/team/",
        "/admin/gallery/board/",
        "/admin/gallery/comment/",
    ]:
        response = admin.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_escaped(body, url)
        bodies.append(body)
    assert {"prompt", "actual", "error", "team", "board"} <= shown(bodies)
