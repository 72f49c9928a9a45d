"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from gallery.models import Board, BoardItem, Invitation, Membership, Role, Team

from ..factories import PASSWORD, billed, every_page, finished_generation, make_generation
from .helpers import log_in

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in the tests
# and fixtures would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing; `make chromium` installs Debian's Chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)  # CI must run these tests, never skip them
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",  # Chromium runs as root here
            "--disable-gpu",
            "--disable-background-networking",  # the network is closed
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, answering only what the app answers in production.

    Django's live server thread wraps the app in two file handlers: one serves /static/ through
    the staticfiles finders, which do not know the hashed names the manifest storage writes into
    pages (htmx would never load); the other serves MEDIA_ROOT under MEDIA_URL, which is empty
    here, so every stored image would be public by its path. Unwrapped, WhiteNoise serves static
    files and images go only through the views that check permission.
    """
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        pytest.fail("no static files: run `manage.py collectstatic` first", pytrace=False)
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda media_handler: media_handler.application
    server.start()
    yield server
    server.stop()


@pytest.fixture
def alice_page(page: Page, live_server, user) -> Page:
    """A page where alice has logged in through the form and landed on the gallery."""
    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    return page


@pytest.fixture
def alices_pages(user, other_user, media_root):
    """The addresses of alice's pages, with something on each: a team, two finished generations
    (one a remix), a failed and a trashed one, a board with an image, a comment and an open
    invitation."""
    team = Team.objects.create(name="Lighthouse keepers of the northern coast")
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    Membership.objects.create(team=team, user=other_user, role=Role.MEMBER)
    long_prompt = "a lighthouse at dawn over a calm sea, " * 8
    done = finished_generation(user, prompt=long_prompt, team=team, n=2, seed=2_147_483_600)
    remix = finished_generation(user, prompt="the same lighthouse at dusk", parent=done)
    make_generation(user, prompt="flagged", status="FAILED", error_code="DataInspectionFailed")
    make_generation(user, prompt="thrown away", status="SUCCEEDED", deleted_at=timezone.now())
    board = Board.objects.create(name="Lighthouses I like best of all", owner=user)
    BoardItem.objects.create(board=board, image=done.images.first(), added_by=user)
    done.comments.create(author=other_user, body="The beam is just right. " * 10)
    Invitation.objects.create(team=team, role=Role.MEMBER, created_by=user)
    billed(done, remix, budget_of=team)
    return every_page(done, remix, board, team, filters="?starred=on&status=FAILED")
