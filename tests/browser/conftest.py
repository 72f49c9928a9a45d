"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in the tests
# and fixtures would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "wonderland-2026"  # the `user` fixture's


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


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Fill in and send the real login form."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def alice_page(page: Page, live_server, user) -> Page:
    """A page where alice has logged in through the form and landed on the gallery."""
    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    return page


# A tab hidden or shown again as the browser would say it: document.hidden, visibilityState and a
# visibilitychange event. It answers how many htmx requests that event sent there and then, so
# "it asks at once" is seen without a stopwatch.
_SET_TAB_HIDDEN = """hidden => {
    Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
    Object.defineProperty(document, "visibilityState",
                          {configurable: true, get: () => hidden ? "hidden" : "visible"});
    let sent = 0;
    const count = () => { sent += 1; };
    document.addEventListener("htmx:beforeSend", count);
    document.dispatchEvent(new Event("visibilitychange"));
    document.removeEventListener("htmx:beforeSend", count);
    return sent;
}"""

# Each time htmx would ask for `selector` and js/live.js refuses (the tab is hidden), count it:
# an element's own timer coming round, known by the page rather than by a stopwatch in the test.
_COUNT_REFUSED = """selector => {
    window.__refused = {selector, count: 0};
    if (window.__countingRefused) return;
    window.__countingRefused = true;
    document.addEventListener("htmx:beforeRequest", event => {
        const refused = window.__refused;
        if (event.defaultPrevented && event.detail.elt.matches(refused.selector)) {
            refused.count += 1;
        }
    });
}"""

# A request htmx sent before the tab was hidden has been answered.
NOTHING_IN_FLIGHT = "() => document.querySelector('.htmx-request') === null"


def hide_tab(page: Page) -> int:
    """Hide the tab; return how many htmx requests that sent at once (it should send none)."""
    return page.evaluate(_SET_TAB_HIDDEN, True)


def show_tab(page: Page) -> int:
    """Show the tab again; return how many htmx requests that sent at once."""
    return page.evaluate(_SET_TAB_HIDDEN, False)


def wait_for_refused_requests(page: Page, selector: str, count: int) -> None:
    """Wait until htmx has tried `count` times to ask for `selector` and each try was refused
    because the tab is hidden: its timers have come round and sent nothing."""
    page.evaluate(_COUNT_REFUSED, selector)
    try:
        page.wait_for_function("count => window.__refused.count >= count", arg=count)
    except PlaywrightTimeoutError:
        refused = page.evaluate("window.__refused.count")
        pytest.fail(f"{selector}: {refused} of {count} requests refused while the tab was hidden")
