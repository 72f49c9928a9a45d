"""In Chromium, with the Content-Security-Policy enforced, the app's pages and what htmx does on
them trigger no violation; and htmx sends the CSRF token itself."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from gallery.models import Board, Generation, Role, Team

from ..browser.helpers import log_in
from ..factories import make_generation, store_image

Status = Generation.Status
# An image from here breaks the policy (default-src 'self'): the marker a test reads up to.
MARKER = "https://csp-marker.invalid/"


@pytest.fixture
def violations(page: Page) -> list:
    """Every CSP violation the page reports, from the DOM event and from the console; read it
    through `reported`."""
    found = []
    page.expose_function("reportCspViolation", lambda violation: found.append(violation))
    # The page keeps what it has reported (once this list has it) too, for `reported`.
    page.add_init_script(
        """window.cspReported = [];
           document.addEventListener("securitypolicyviolation", (e) => {
             const text = `${e.violatedDirective} blocked ${e.blockedURI} at `
               + `${e.sourceFile}:${e.lineNumber} ${e.sample}`;
             window.reportCspViolation(text).then(() => window.cspReported.push(text));
           });"""
    )
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def reported(page: Page, violations: list) -> list:
    """The violations once all that the page has made so far are in: one made now (an image
    the policy refuses, with a marker URL) is reported after them; without the marker's."""
    marker = f"{MARKER}{len(violations)}"
    page.evaluate("url => { new Image().src = url; }", marker)
    page.wait_for_function("marker => window.cspReported.some(v => v.includes(marker))", arg=marker)
    return [violation for violation in violations if MARKER not in violation]


@pytest.fixture
def world(user, other_user, media_root):
    team = Team.create("Lighthouse keepers", owner=user)
    team.memberships.create(user=other_user, role=Role.MEMBER)
    done = make_generation(user, team=team, status=Status.SUCCEEDED, n=2, prompt="harbour")
    for index in range(2):
        store_image(done, index)
    other = make_generation(user, status=Status.SUCCEEDED, prompt="harbour at night")
    store_image(other, 0)
    running = make_generation(
        user,
        status=Status.RUNNING,
        prompt="still running",
        poll_at=timezone.now() + timedelta(milliseconds=300),
    )
    board = Board.objects.create(name="Picks", team=team)
    board.items.create(image=done.images.get(index=0), added_by=user)
    return {"team": team, "done": done, "other": other, "running": running, "board": board}


def test_the_pages_and_their_htmx_requests_break_no_rule_of_the_policy(
    violations, alice_page: Page, live_server, world
):
    page, url = alice_page, live_server.url
    done, team = world["done"], world["team"]

    # home, with a running card that reloads itself
    with page.expect_response(re.compile(rf"/g/{world['running'].pk}/card/")):
        page.goto(f"{url}/")
    # the prompt form, sent by htmx: a new card in the list
    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill("a new one")
    form.get_by_role("button", name="Generate").click()
    expect(page.locator("#history > article .prompt").first).to_have_text("a new one")
    # the review filters (an htmx request that swaps the results in)
    with page.expect_response(re.compile(r"/\?q=harbour")):
        page.locator("#review-filters").get_by_label("Search").fill("harbour")
    expect(page.locator("#history > article")).to_have_count(2)
    # the lightbox over the listing, a step in it, a star given there
    page.locator(f"#generation-{done.pk} a[data-lightbox]").first.click()
    lightbox = page.locator("dialog#lightbox")
    expect(lightbox.locator(".lightbox-image")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(lightbox.locator(".lightbox-image")).to_have_attribute(
        "src", f"/g/{done.pk}/images/1/original/"
    )
    lightbox.get_by_role("button", name="Favourite").click()
    expect(lightbox.get_by_role("button", name="Favourite")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/\?q=harbour$"))  # back where it was opened
    # the detail page, and the lightbox opened there; an image's own page
    page.goto(f"{url}/g/{done.pk}/")
    page.locator("a[data-lightbox]").first.click()
    expect(lightbox.locator(".lightbox-image")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{url}/g/{done.pk}/")
    page.goto(f"{url}/g/{done.pk}/images/0/")
    expect(page.locator(".lightbox-page .lightbox-image")).to_be_visible()
    for path in [
        f"/teams/{team.pk}/gallery/",
        f"/teams/{team.pk}/",
        "/teams/",
        "/boards/",
        f"/boards/{world['board'].pk}/",
        f"/compare/?a={done.pk}&b={world['other'].pk}",
        "/trash/",
        "/accounts/password_change/",
        "/no/such/page/",
    ]:
        page.goto(url + path)
        expect(page.locator("h1")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    assert reported(page, violations) == []


def test_the_admin_breaks_no_rule_of_the_policy(violations, page: Page, live_server, admin_user):
    make_generation(admin_user, prompt="seen by staff")
    log_in(page, live_server.url, "admin", "password")
    for path in ["/admin/", "/admin/gallery/generation/", "/admin/gallery/generation/add/"]:
        page.goto(live_server.url + path)
        expect(page.locator("#content")).to_be_visible()
    assert reported(page, violations) == []


def test_the_check_sees_a_violation_when_htmx_is_left_unconfigured(
    violations, alice_page: Page, live_server
):
    """Without base.html's htmx-config, htmx adds its indicator <style>: the policy refuses it."""

    def without_config(route):
        response = route.fetch()
        body = re.sub(r'<meta name="htmx-config"[^>]*>', "", response.text())
        route.fulfill(response=response, body=body)

    alice_page.route(f"{live_server.url}/", without_config)
    alice_page.goto(f"{live_server.url}/")
    expect(alice_page.locator("#prompt-form")).to_be_visible()
    found = reported(alice_page, violations)
    assert any("style-src" in violation for violation in found), found


def test_htmx_sends_the_csrf_token_with_its_requests(alice_page: Page, live_server, user):
    generation = make_generation(user, status=Status.SUCCEEDED, prompt="star me")
    page = alice_page
    page.reload()
    card = page.locator(f"#generation-{generation.pk}")
    # Only the token htmx adds from <body hx-headers> is left: none in the forms themselves.
    page.evaluate(
        "document.querySelectorAll('[name=csrfmiddlewaretoken]').forEach(e => e.remove())"
    )

    with page.expect_request(re.compile(rf"/g/{generation.pk}/star/")) as sent:
        card.get_by_role("button", name="Favourite").click()

    assert re.fullmatch(r"\w{32,}", sent.value.headers.get("x-csrftoken", ""))
    assert sent.value.response().status == 200
    expect(card.get_by_role("button", name="Favourite")).to_have_attribute("aria-pressed", "true")
