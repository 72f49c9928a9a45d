"""Every URL of the gallery, asked by every kind of user.

The issue's rule: anonymous → login; not allowed → 404 (never 403, never a hint that the thing
exists); viewers cannot create, share or delete. RULES says, for every URL name, how to ask and
what each role gets; a URL added to gallery/urls.py without a rule fails
`test_every_url_has_a_rule`. Actions are checked by what they did, not only by their status: a
refused action must change nothing, an allowed one must have happened.

The roles, in one team: the author (bob, a member who made the generations and owns the
personal board), the team's owner (alice), another member (dave), a viewer (carol), and an
outsider (mallory). Each test gets a fresh world, so one case's action never leaks into another.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gallery import references
from gallery.models import (
    Board,
    BoardItem,
    Budget,
    Comment,
    Favourite,
    GeneratedImage,
    Generation,
    Invitation,
    ReferenceImage,
    ReviewMark,
    Role,
    Team,
)
from gallery.urls import urlpatterns

from .factories import create_user, finished_generation, make_generation, store_image

if TYPE_CHECKING:
    from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db
Status = Generation.Status


# What a request may answer.


@dataclass(frozen=True)
class Outcome:
    name: str
    statuses: tuple[int, ...]

    def __repr__(self) -> str:
        return self.name


LOGIN = Outcome("LOGIN", (302,))  # to the login page, nothing done
OK = Outcome("OK", (200,))  # the page, fragment or file
FILE = Outcome("FILE", (200, 302))  # the image, or (object storage) a presigned URL for it
DONE = Outcome("DONE", (200, 302))  # the action happened
REDIRECT = Outcome("REDIRECT", (302,))  # answered, nothing to do (already in the team, ...)
REFUSED = Outcome("REFUSED", (200,))  # the form again, with an error; nothing done
NOT_FOUND = Outcome("NOT_FOUND", (404,))
NOT_ALLOWED_METHOD = Outcome("NOT_ALLOWED_METHOD", (405,))

ROLES = ("anonymous", "author", "team_owner", "member", "viewer", "outsider")


def outcomes(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """What each role gets: `default` unless named; anonymous always goes to the login page."""
    assert set(by_role) <= set(ROLES) - {"anonymous"}, by_role
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], default), **by_role}


EVERYONE = outcomes(OK)
TEAM_SEES = outcomes(OK, outsider=NOT_FOUND)
TEAM_ACTS = outcomes(DONE, outsider=NOT_FOUND)  # personal to each user: stars
CREATORS = outcomes(DONE, viewer=NOT_FOUND, outsider=NOT_FOUND)  # the team's owner and members
MANAGERS = outcomes(NOT_FOUND, author=DONE, team_owner=DONE)  # unshare, delete
AUTHOR_ONLY = outcomes(NOT_FOUND, author=DONE)
AUTHOR_SEES = outcomes(NOT_FOUND, author=OK)
TEAM_OWNER_ONLY = outcomes(NOT_FOUND, team_owner=DONE)


# The world each test starts from.

SECRET_PROMPT = "bobs-own-secret-sketch"  # bob's private generation
TRASHED_PROMPT = "bobs-binned-sketch"  # bob's generation in his trash
SECRET_BOARD = "bobs-own-moodboard"  # bob's personal board
SHARED_PROMPT = "team-harbour-at-night"
NEW = "made-during-the-test"


@dataclass
class World:
    team: Team
    alice: User
    bob: User
    carol: User
    dave: User
    mallory: User
    shared: Generation  # bob's, shared with the team, two stored images
    private: Generation  # bob's, private, one stored image
    failed: Generation  # bob's, shared, timed out at DashScope (recheck and retry)
    queued: Generation  # bob's, shared, still queued here (cancel)
    trashed: Generation  # bob's, shared, in his trash (restore)
    own: dict[int, Generation]  # user pk → that user's private generation
    team_board: Board
    bob_board: Board
    team_item: BoardItem  # shared image 0 on the team board
    bob_item: BoardItem  # shared image 0 on bob's board
    invitation: Invitation  # open, to join as a member
    comment: Comment  # dave's, on the shared generation
    pending: str  # the key of a reference image bob uploaded to the form, not yet sent

    def user(self, role: str) -> User | None:
        return {
            "author": self.bob,
            "team_owner": self.alice,
            "member": self.dave,
            "viewer": self.carol,
            "outsider": self.mallory,
        }.get(role)

    def subject(self, role: str) -> User:
        """Whom a request is about: its user, or bob for an anonymous one."""
        return self.user(role) or self.bob

    def image(self, generation: Generation, index: int = 0) -> GeneratedImage:
        return GeneratedImage.objects.get(generation=generation, index=index)


@pytest.fixture(autouse=True)
def quick(settings):
    """Keep the images in memory, and leave out WhiteNoise, which serves none of these URLs
    but scans every static file for each new test client."""
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if "whitenoise" not in name]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def world(team, user, other_user, outsider) -> World:
    alice, bob, carol = user, other_user, team.viewer
    dave = create_user("dave", "member-2026")
    team.memberships.create(user=dave, role=Role.MEMBER)
    done = {"status": Status.SUCCEEDED, "completed_at": timezone.now()}
    shared = finished_generation(bob, team=team, prompt=SHARED_PROMPT, n=2, **done)
    private = finished_generation(bob, prompt=SECRET_PROMPT, **done)
    for edit in (shared, private):  # each was sent with a reference image
        reference = ReferenceImage(generation=edit, index=0, width=8, height=8)
        reference.thumbnail.save(f"generations/{edit.pk}/references/0.webp", ContentFile(b"w"))
        reference.image.save(f"generations/{edit.pk}/references/0.jpg", ContentFile(b"jpeg"))
    failed = make_generation(
        bob,
        team=team,
        status=Status.FAILED,
        error_code="TimedOut",
        task_id="task-timed-out",
        submitted_at=timezone.now() - timedelta(minutes=5),
    )
    queued = make_generation(bob, team=team, status=Status.QUEUED)
    trashed = make_generation(
        bob, team=team, prompt=TRASHED_PROMPT, deleted_at=timezone.now(), **done
    )
    store_image(trashed, 0)  # the trash shows its thumbnail to bob alone
    own = {bob.pk: private}
    for person in (alice, carol, dave, outsider):
        own[person.pk] = make_generation(person, prompt=f"{person}'s own", **done)
    team_board = Board.objects.create(name="Team picks", team=team)
    bob_board = Board.objects.create(name=SECRET_BOARD, owner=bob)
    first = GeneratedImage.objects.get(generation=shared, index=0)
    return World(
        team=team,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        mallory=outsider,
        shared=shared,
        private=private,
        failed=failed,
        queued=queued,
        trashed=trashed,
        own=own,
        team_board=team_board,
        bob_board=bob_board,
        team_item=team_board.items.create(image=first, added_by=bob),
        bob_item=bob_board.items.create(image=first, added_by=bob),
        invitation=team.invitations.create(role=Role.MEMBER, created_by=alice),
        comment=Comment.objects.create(generation=shared, author=dave, body="Crop it?"),
        pending=upload_reference(bob),
    )


def upload_reference(user) -> str:
    """A reference image `user` added to the prompt form; its key."""
    picture = io.BytesIO()
    Image.new("RGB", (300, 300), "teal").save(picture, "PNG")
    token = references.accept_upload(user, SimpleUploadedFile("a.png", picture.getvalue()))
    return token.removeprefix("u")


# How to ask, and what must have happened.

Target = Callable[[World, "User"], tuple[list, dict]]  # (world, user) → url args, query or data
Effect = Callable[[World, "User"], bool]  # whether the action happened (for this user)
Check = Callable[[World, str, bytes], None]  # further assertions: world, role, response body


@dataclass(frozen=True)
class Case:
    method: str
    target: Target
    expect: dict[str, Outcome]
    effect: Effect | None = None  # must be true after DONE, false after anything else
    check: Check | None = None
    label: str = ""
    htmx: bool = False


def on(attr: str, /, *extra, **data) -> Target:
    """The world's object `attr` as the URL's first argument (then `extra`), with `data`."""
    return lambda w, u: ([getattr(w, attr).pk, *extra], data)


def generation_form(**fields) -> dict:
    return {
        "model": "wanx2.1-t2i-turbo",
        "prompt": NEW,
        "size": "1024*1024",
        "n": 1,
        "prompt_extend": "on",
        **fields,
    }


def made(w: World, u, team: bool) -> bool:
    return Generation.objects.filter(owner=u, prompt=NEW, team=w.team if team else None).exists()


def check_parent(w: World, role: str, body: bytes) -> None:
    """A remix records its parent only when the user may see it: nobody learns of bob's."""
    new = Generation.objects.filter(prompt=NEW).first()
    if new is not None:
        assert new.parent == (w.private if role == "author" else None)


def on_board(board: Board) -> set[tuple[int, int]]:
    return set(board.items.values_list("image__generation", "image__index"))


def check_zip(w: World, role: str, body: bytes) -> None:
    """The ZIP holds what the user may see of what was picked, and nothing else."""
    if role == "anonymous":
        return
    sees = {"author": {"shared", "private", "failed"}, "outsider": set()}
    expected = {getattr(w, name).pk for name in sees.get(role, {"shared", "failed"})}
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        pngs = [name for name in zipped.namelist() if name.endswith(".png")]
    assert {entry["id"] for entry in manifest} == expected
    stored = {w.shared.pk: 2, w.private.pk: 1}
    assert len(pngs) == sum(stored.get(pk, 0) for pk in expected)


def check_bulk_delete(w: World, role: str, body: bytes) -> None:
    """Only what the user may delete goes to the trash; a queued one never does."""
    deletes = {"author": {"shared", "private"}, "team_owner": {"shared"}}
    picked = {"shared", "private", "queued"}
    trashed = {name for name in picked if Generation.objects.get(pk=getattr(w, name).pk).deleted_at}
    assert trashed == deletes.get(role, set())


def check_bulk_board(w: World, role: str, body: bytes) -> None:
    """Only images the user may see go on the board, and only if they may change it."""
    before = {(w.shared.pk, 0)}
    adds = {
        "author": {(w.shared.pk, 1), (w.private.pk, 0)},
        "team_owner": {(w.shared.pk, 1)},
        "member": {(w.shared.pk, 1)},
    }
    assert on_board(w.team_board) == before | adds.get(role, set())


def check_per_person(w: World, role: str, body: bytes) -> None:
    """Who spent what in the team, on its page and in its CSV: for its owner alone."""
    if role in ("anonymous", "outsider"):
        return
    per_person = b"Per person" in body or body.startswith(b"period_start,model,person,")
    assert per_person == (role == "team_owner"), f"{role} sees who spent what: {per_person}"


def bulk(action: str, *names: str, board: str = "") -> Target:
    """A bulk `action` on the world's generations `names` (onto the world's `board`)."""

    def target(w: World, u) -> tuple[list, dict]:
        data = {"action": action, "ids": [getattr(w, name).pk for name in names]}
        if board:
            data["board"] = getattr(w, board).pk
        return [], data

    return target


def item_on(board: str, index: int) -> Effect:
    return lambda w, u: getattr(w, board).items.filter(image=w.image(w.shared, index)).exists()


def gone(model, name: str) -> Effect:
    return lambda w, u: not model.objects.filter(pk=getattr(w, name).pk).exists()


def refreshed(w: World, name: str):
    obj = getattr(w, name)
    obj.refresh_from_db()
    return obj


RULES: dict[str, list[Case]] = {
    # The prompt form beside the user's own generations.
    "home": [
        Case("GET", lambda w, u: ([], {"remix": w.private.pk}), EVERYONE, label="remix bob's"),
        Case(
            "POST",
            lambda w, u: ([], generation_form(remix=w.private.pk)),
            outcomes(DONE),
            effect=lambda w, u: made(w, u, team=False),
            check=check_parent,
            label="private",
        ),
        Case(
            "POST",
            lambda w, u: ([], generation_form(team=w.team.pk)),
            outcomes(DONE, viewer=REFUSED, outsider=REFUSED),
            effect=lambda w, u: made(w, u, team=True),
            label="into the team",
        ),
    ],
    # A generation and its images.
    "detail": [Case("GET", on("shared"), TEAM_SEES)],
    "card": [Case("GET", on("shared"), TEAM_SEES)],
    "image": [Case("GET", on("shared", 1), TEAM_SEES)],
    "original": [Case("GET", on("shared", 0), outcomes(FILE, outsider=NOT_FOUND))],
    "thumbnail": [Case("GET", on("shared", 0), outcomes(FILE, outsider=NOT_FOUND))],
    "download": [Case("GET", on("shared", 0), TEAM_SEES)],
    "reference": [Case("GET", on("shared", 0), outcomes(FILE, outsider=NOT_FOUND))],
    "reference_thumbnail": [Case("GET", on("shared", 0), outcomes(FILE, outsider=NOT_FOUND))],
    "pending_reference": [
        Case("GET", lambda w, u: ([w.pending], {}), outcomes(NOT_FOUND, author=FILE))
    ],
    # the month so far beside Generate, for the team chosen in the prompt form
    "standings": [Case("GET", lambda w, u: ([], {"team": w.team.pk}), EVERYONE)],
    "compare": [
        Case("GET", lambda w, u: ([], {"a": w.shared.pk, "b": w.failed.pk}), TEAM_SEES),
    ],
    "recheck": [
        Case(
            "POST",
            on("failed"),
            AUTHOR_ONLY,
            effect=lambda w, u: refreshed(w, "failed").status == Status.RUNNING,
        ),
    ],
    "retry": [
        Case(
            "POST",
            on("failed"),
            AUTHOR_ONLY,
            effect=lambda w, u: Generation.objects.filter(parent=w.failed).exists(),
        ),
    ],
    "cancel": [
        Case(
            "POST",
            on("queued"),
            AUTHOR_ONLY,
            effect=lambda w, u: refreshed(w, "queued").status == Status.CANCELED,
        ),
    ],
    # Sharing.
    "share": [
        Case(
            "POST",
            lambda w, u: ([w.private.pk], {"team": w.team.pk}),
            AUTHOR_ONLY,
            effect=lambda w, u: refreshed(w, "private").team_id == w.team.pk,
            label="bob's",
        ),
        Case(
            "POST",
            lambda w, u: ([w.own[u.pk].pk], {"team": w.team.pk}),
            CREATORS,
            effect=lambda w, u: Generation.objects.get(pk=w.own[u.pk].pk).team_id == w.team.pk,
            label="their own",
        ),
    ],
    "unshare": [
        Case(
            "POST",
            on("shared"),
            MANAGERS,
            effect=lambda w, u: refreshed(w, "shared").team_id is None,
        ),
    ],
    # Trash.
    "delete": [
        Case(
            "POST",
            on("shared"),
            MANAGERS,
            effect=lambda w, u: refreshed(w, "shared").deleted_at is not None,
        ),
    ],
    "trashed_thumbnail": [Case("GET", on("trashed", 0), outcomes(NOT_FOUND, author=FILE))],
    "restore": [
        Case(
            "POST",
            on("trashed"),
            AUTHOR_ONLY,
            effect=lambda w, u: refreshed(w, "trashed").deleted_at is None,
        ),
    ],
    "trash": [Case("GET", lambda w, u: ([], {}), EVERYONE)],
    # Boards.
    "boards": [
        Case("GET", lambda w, u: ([], {}), EVERYONE),
        Case(
            "POST",
            lambda w, u: ([], {"name": NEW, "team": ""}),
            outcomes(DONE),
            effect=lambda w, u: Board.objects.filter(name=NEW, owner=u).exists(),
            label="personal",
        ),
        Case(
            "POST",
            lambda w, u: ([], {"name": NEW, "team": w.team.pk}),
            outcomes(DONE, viewer=REFUSED, outsider=REFUSED),
            effect=lambda w, u: Board.objects.filter(name=NEW, team=w.team).exists(),
            label="the team's",
        ),
    ],
    "board": [
        Case("GET", on("team_board"), TEAM_SEES, label="the team's"),
        Case("GET", on("bob_board"), AUTHOR_SEES, label="bob's"),
    ],
    "rename_board": [
        Case(
            "POST",
            on("team_board", name=NEW),
            CREATORS,
            effect=lambda w, u: refreshed(w, "team_board").name == NEW,
            label="the team's",
        ),
        Case(
            "POST",
            on("bob_board", name=NEW),
            AUTHOR_ONLY,
            effect=lambda w, u: refreshed(w, "bob_board").name == NEW,
            label="bob's",
        ),
    ],
    "delete_board": [
        Case("POST", on("team_board"), CREATORS, gone(Board, "team_board"), label="the team's"),
        Case("POST", on("bob_board"), AUTHOR_ONLY, gone(Board, "bob_board"), label="bob's"),
    ],
    "remove_from_board": [
        Case(
            "POST",
            lambda w, u: ([w.team_board.pk, w.team_item.pk], {}),
            CREATORS,
            gone(BoardItem, "team_item"),
            label="the team's",
        ),
        Case(
            "POST",
            lambda w, u: ([w.bob_board.pk, w.bob_item.pk], {}),
            AUTHOR_ONLY,
            gone(BoardItem, "bob_item"),
            label="bob's",
        ),
    ],
    "add_to_board": [
        Case("GET", on("shared", 1), TEAM_SEES, htmx=True),
        Case(
            "POST",
            lambda w, u: ([w.shared.pk, 1], {"board": w.team_board.pk}),
            CREATORS,
            item_on("team_board", 1),
            label="the team's",
        ),
        Case(
            "POST",
            lambda w, u: ([w.shared.pk, 1], {"board": w.bob_board.pk}),
            AUTHOR_ONLY,
            item_on("bob_board", 1),
            label="bob's",
        ),
    ],
    # Favourites and the team's review.
    "star": [
        Case(
            "POST",
            on("shared", starred="1"),
            TEAM_ACTS,
            effect=lambda w, u: Favourite.objects.filter(user=u, generation=w.shared).exists(),
        ),
    ],
    "comment": [
        Case(
            "POST",
            on("shared", body=NEW),
            CREATORS,
            effect=lambda w, u: w.shared.comments.filter(author=u, body=NEW).exists(),
        ),
    ],
    "delete_comment": [  # its author (dave), or the team's owner
        Case(
            "POST",
            on("comment"),
            outcomes(NOT_FOUND, team_owner=DONE, member=DONE),
            gone(Comment, "comment"),
        ),
    ],
    "mark": [
        Case(
            "POST",
            on("shared", mark="picked"),
            CREATORS,
            effect=lambda w, u: ReviewMark.objects.filter(user=u, generation=w.shared).exists(),
        ),
    ],
    # Bulk actions on a list page: what the user may not act on is left alone.
    "bulk": [
        Case(
            "POST",
            bulk("zip", "shared", "private", "failed", "trashed"),
            EVERYONE,
            check=check_zip,
            label="zip",
        ),
        Case(
            "POST",
            bulk("delete", "shared", "private", "queued"),
            outcomes(REDIRECT, author=DONE, team_owner=DONE),
            check=check_bulk_delete,
            label="delete",
        ),
        Case(
            "POST",
            bulk("board", "shared", "private", board="team_board"),
            CREATORS,
            check=check_bulk_board,
            label="onto the team's board",
        ),
        Case(
            "POST",
            bulk("board", "shared", board="bob_board"),
            AUTHOR_ONLY,
            effect=item_on("bob_board", 1),
            label="onto bob's board",
        ),
    ],
    # Teams.
    "teams": [
        Case("GET", lambda w, u: ([], {}), EVERYONE),
        Case(
            "POST",
            lambda w, u: ([], {"name": NEW}),
            outcomes(DONE),
            effect=lambda w, u: Team.objects.of(u, [Role.OWNER]).filter(name=NEW).exists(),
        ),
    ],
    "team": [Case("GET", on("team"), TEAM_SEES)],
    "team_gallery": [
        Case("GET", on("team"), TEAM_SEES),
        Case(
            "POST",
            lambda w, u: ([w.team.pk], generation_form(team=w.team.pk)),
            outcomes(DONE, viewer=REFUSED, outsider=NOT_FOUND),
            effect=lambda w, u: made(w, u, team=True),
            label="into the team",
        ),
    ],
    "invite": [
        Case(
            "POST",
            on("team", role="viewer"),
            TEAM_OWNER_ONLY,
            effect=lambda w, u: w.team.invitations.count() == 2,
        ),
    ],
    "revoke_invitation": [
        Case(
            "POST",
            lambda w, u: ([w.team.pk, w.invitation.pk], {}),
            TEAM_OWNER_ONLY,
            effect=lambda w, u: refreshed(w, "invitation").revoked_at is not None,
        ),
    ],
    "remove_member": [
        Case(
            "POST",
            lambda w, u: ([w.team.pk, w.dave.pk], {}),
            TEAM_OWNER_ONLY,
            effect=lambda w, u: w.team.role_of(w.dave) is None,
        ),
    ],
    "team_budget": [
        Case(
            "POST",
            on("team", limit="5", unit="images"),
            TEAM_OWNER_ONLY,
            effect=lambda w, u: Budget.objects.filter(team=w.team, limit=5).exists(),
        ),
    ],
    "change_role": [
        Case(
            "POST",
            lambda w, u: ([w.team.pk, w.dave.pk], {"role": "viewer"}),
            TEAM_OWNER_ONLY,
            effect=lambda w, u: w.team.role_of(w.dave) == Role.VIEWER,
        ),
    ],
    "leave_team": [
        Case(
            "POST",
            on("team"),
            outcomes(DONE, team_owner=REDIRECT, outsider=NOT_FOUND),  # the owner passes it on first
            # four memberships at first: one fewer, and it was theirs
            effect=lambda w, u: w.team.memberships.count() == 3 and w.team.role_of(u) is None,
        ),
    ],
    # Usage: one's own, a team's (per person for its owner), everyone's (staff; none here).
    "usage": [
        Case("GET", lambda w, u: ([], {}), EVERYONE),
        Case("GET", lambda w, u: ([], {"format": "csv"}), EVERYONE, label="csv"),
    ],
    "team_usage": [
        Case("GET", on("team"), TEAM_SEES, check=check_per_person),
        Case("GET", on("team", format="csv"), TEAM_SEES, check=check_per_person, label="csv"),
    ],
    "usage_all": [
        Case("GET", lambda w, u: ([], {}), outcomes(NOT_FOUND)),
        Case("GET", lambda w, u: ([], {"format": "csv"}), outcomes(NOT_FOUND), label="csv"),
    ],
    # The one page for people without an account too: they may sign up there and join.
    "join": [
        Case(
            "GET",
            lambda w, u: ([w.invitation.token], {}),
            {**outcomes(REDIRECT, outsider=OK), "anonymous": OK},
        ),
        Case(
            "POST",
            lambda w, u: ([w.invitation.token], {}),
            # Members are told they are in already; an empty sign-up form makes nobody.
            {**outcomes(REDIRECT, outsider=DONE), "anonymous": REFUSED},
            effect=lambda w, u: refreshed(w, "invitation").accepted_by == u,
        ),
    ],
}


def method_cases(cases: list[Case]) -> list[Case]:
    """The method a URL does not take answers 405 (after the login), and does nothing."""
    taken = {case.method for case in cases}
    first = cases[0]
    return [
        Case(method, first.target, outcomes(NOT_ALLOWED_METHOD), first.effect, label=first.label)
        for method in ("GET", "POST")
        if method not in taken
    ]


def all_requests() -> list:
    requests = []
    for name, cases in RULES.items():
        for case in cases + method_cases(cases):
            for role in ROLES:
                label = f"[{case.label}]" if case.label else ""
                test_id = f"{name}{label} {case.method} {role}"
                requests.append(pytest.param(name, case, role, id=test_id))
    return requests


# Asking, and what no answer may ever hold.


def ask(client, w: World, role: str, name: str, case: Case, target=None):
    """Send the case's request as `role`; the response and its whole body."""
    actor = w.user(role)
    if actor is not None:
        client.force_login(actor)
    args, params = (target or case.target)(w, w.subject(role))
    url = reverse(f"gallery:{name}", args=args)
    headers = {"HX-Request": "true"} if case.htmx else {}
    send = client.get if case.method == "GET" else client.post
    response = send(url, params, headers=headers)
    if response.streaming:
        body = b"".join(response.streaming_content)
        response.close()
    else:
        body = response.content
    assert response.status_code != 403, f"{case.method} {url} as {role}: 403 tells it exists"
    assert_nothing_leaks(w, role, name, body)
    return response, body


def assert_outcome(response, outcome: Outcome, what: str) -> None:
    status = response.status_code
    assert status in outcome.statuses, f"{what}: expected {outcome}, got {status}"
    if status == 302:
        to_login = response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        assert to_login == (outcome is LOGIN), f"{what}: redirected to {response['Location']}"
        if outcome is FILE:
            assert response["Location"].startswith(settings.AWS_S3_ENDPOINT_URL), what


def assert_nothing_leaks(w: World, role: str, name: str, body: bytes) -> None:
    """No answer shows bob's private things to anyone else, the team to an outsider (but on
    the invitation page, which is what the link is for), or the invitation to a non-owner."""
    secrets = []
    if role != "author":
        secrets += [SECRET_PROMPT, TRASHED_PROMPT, SECRET_BOARD]
    if name != "join":
        if role in ("outsider", "anonymous"):
            secrets += [w.team.name, SHARED_PROMPT]
        if role != "team_owner":
            secrets += [w.invitation.token]
    for secret in secrets:
        assert secret.encode() not in body, f"{name} shows {secret!r} to the {role}"


# The tests.


def test_every_url_has_a_rule():
    names = {pattern.name for pattern in urlpatterns}
    assert not names - set(RULES), f"URLs without a rule in RULES: {sorted(names - set(RULES))}"
    assert not set(RULES) - names, f"rules for URLs that are gone: {sorted(set(RULES) - names)}"
    for name, cases in RULES.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), f"{name}: an outcome for every role"


@pytest.mark.parametrize(("name", "case", "role"), all_requests())
def test_each_role_gets_what_the_rule_says(client, world, name, case, role):
    response, body = ask(client, world, role, name, case)

    expected = case.expect[role]
    assert_outcome(response, expected, f"{name} {case.method} as {role}")
    if case.effect is not None:
        happened = case.effect(world, world.subject(role))
        assert happened == (expected is DONE), f"{name} as {role}: happened={happened}"
    if case.check is not None:
        case.check(world, role, body)


GENERATION_URLS = [p.name for p in urlpatterns if str(p.pattern).startswith("g/<id:pk>/")]
# Where bob's own private generation is 404 for bob too, for a reason of its own.
NOT_FOR_A_PRIVATE_ONE = {
    "comment": "only a team generation is reviewed",
    "mark": "only a team generation is reviewed",
    "restore": "only what is in the trash is restored",
}


def private_target(name: str) -> Target:
    def target(w: World, u) -> tuple[list, dict]:
        if name == "compare":
            return [], {"a": w.private.pk, "b": w.shared.pk}
        pattern = next(p for p in urlpatterns if p.name == name)
        args = [w.private.pk, 0] if "<id:index>" in str(pattern.pattern) else [w.private.pk]
        data = {
            "team": w.team.pk,
            "board": w.bob_board.pk,
            "starred": "1",
            "body": NEW,
            "mark": "picked",
        }
        return args, data

    return target


def private_state(w: World) -> tuple:
    """Everything an action on bob's private generation could change."""
    private = Generation.objects.filter(pk=w.private.pk)
    return (
        list(private.values()),
        Favourite.objects.filter(generation=w.private).count(),
        Comment.objects.filter(generation=w.private).count(),
        ReviewMark.objects.filter(generation=w.private).count(),
        BoardItem.objects.filter(image__generation=w.private).count(),
        Generation.objects.filter(parent=w.private).count(),
    )


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize("name", [*GENERATION_URLS, "compare"])
def test_a_private_generation_is_not_found_but_by_its_author(client, world, name, role):
    before = private_state(world)
    for case in {(case.method, case.htmx): case for case in RULES[name]}.values():
        response, _ = ask(client, world, role, name, case, target=private_target(name))
        what = f"{name} {case.method} of bob's private generation as {role}"
        if role != "author":
            assert response.status_code == 404, what
            assert private_state(world) == before, f"{what} changed it"
        elif name in NOT_FOR_A_PRIVATE_ONE:
            assert response.status_code == 404, what
        else:  # so the 404s above are not a wrong URL
            assert response.status_code in (200, 302), what


HUGE_ID = "99999999999999999999"  # more than any id column holds


def with_one_id_too_large(url: str, route: str) -> list[str]:
    """`url` once for each id in it, that id replaced by one no database column holds."""
    segments, routed = url.strip("/").split("/"), route.strip("/").split("/")
    offset = len(segments) - len(routed)  # the routes' prefix, if any
    return [
        "/" + "/".join([*segments[: offset + i], HUGE_ID, *segments[offset + i + 1 :]]) + "/"
        for i, part in enumerate(routed)
        if part.startswith("<")
    ]


def huge_id_requests() -> list:
    """Every case of a route with ids, as a role the real ids work for."""
    routes = {p.name: str(p.pattern) for p in urlpatterns}
    requests = []
    for name, cases in RULES.items():
        for number, case in enumerate(cases):
            if "<" in routes[name]:
                role = next(r for r in ("author", "team_owner") if case.expect[r] is not NOT_FOUND)
                requests.append(pytest.param(name, case, role, id=f"{name}-{number}"))
    return requests


@pytest.mark.parametrize(("name", "case", "role"), huge_id_requests())
def test_an_id_too_large_for_the_database_is_not_found_wherever_it_is(
    client, world, name, case, role
):
    """The outer ids real, one at a time too large: the 404 of a missing one, never a 500."""
    client.force_login(world.user(role))
    args, params = case.target(world, world.subject(role))
    url = reverse(f"gallery:{name}", args=args)
    route = next(str(p.pattern) for p in urlpatterns if p.name == name)
    send = client.get if case.method == "GET" else client.post
    for huge in with_one_id_too_large(url, route):
        response = send(huge, params)
        assert response.status_code == 404, f"{case.method} {huge} as {role}"
        assert b"<h1>Not found</h1>" in response.content, huge
        if case.effect is not None:
            assert not case.effect(world, world.subject(role)), f"{huge} did it"
