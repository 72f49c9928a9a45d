"""Three people, each in a browser of their own: alice owns the team, bob joins it by the
invitation link and makes an image into it, mallory is in no team and sees none of it."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from gallery.models import Invitation, Role, Team

from ..factories import make_generation
from .helpers import NOTHING_IN_FLIGHT, hide_tab, log_in, show_tab, wait_for_refused_requests

PIPELINE_TIMEOUT = 20_000
LIVE_TIMEOUT = 8_000  # an open team gallery asks for new cards every 5 s
WAITING = re.compile(r"^(Queued here|Submitting|Pending at DashScope|Running|Saving images)$")
THUMBNAILS_LOADED = (
    "sel => { const imgs = [...document.querySelectorAll(sel)];"
    " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
)


def logged_in(context: BrowserContext, base_url: str, username: str, password: str) -> Page:
    """A page in its own browser context (its own cookies) where `username` has logged in."""
    page = context.new_page()
    log_in(page, base_url, username, password)
    expect(page).to_have_url(f"{base_url}/")
    return page


@pytest.fixture
def slow_simulator(simulator):
    """Long enough for bob's generation to reach alice's open team gallery (within one poll
    interval) while it is still waiting."""
    simulator.config.pending_seconds = 4.0
    simulator.config.running_seconds = 4.0
    return simulator


def test_bob_joins_alices_new_team_by_the_invitation_link(
    alice_page: Page, new_context, live_server, other_user, outsider
):
    alice = alice_page
    alice.get_by_role("navigation").get_by_role("link", name="Teams").click()
    expect(alice.get_by_role("heading", name="Your teams")).to_be_visible()
    alice.get_by_label("Name").fill("Lighthouse keepers")
    alice.get_by_role("button", name="Create team").click()
    expect(alice.get_by_role("heading", name="Lighthouse keepers")).to_be_visible()
    expect(alice).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/teams/\d+/$"))
    team_url = alice.url

    alice.get_by_label("Role").select_option(label="Member")
    alice.get_by_role("button", name="Create an invitation link").click()
    expect(alice.get_by_text("Invitation link created: send it to one person.")).to_be_visible()
    link = alice.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(live_server.url)}/join/\S+/$"))
    invitation_url = link.input_value()

    bob = logged_in(new_context(), live_server.url, "bob", "builder-2026")
    bob.goto(invitation_url)
    expect(bob.get_by_role("heading", name="Join Lighthouse keepers")).to_be_visible()
    expect(bob.get_by_text("as a member")).to_be_visible()
    bob.get_by_role("button", name="Join Lighthouse keepers").click()

    expect(bob).to_have_url(team_url)
    expect(bob.get_by_text("Welcome to Lighthouse keepers.")).to_be_visible()
    bob_row = bob.locator(f"#member-{other_user.pk}")
    expect(bob_row).to_contain_text("bob")
    expect(bob_row.locator(".badge")).to_have_text("Member")
    menu = bob.get_by_role("navigation")
    expect(menu.get_by_role("link", name="Lighthouse keepers")).to_be_visible()  # his teams

    alice.reload()
    expect(alice.locator(f"#member-{other_user.pk} .badge")).to_have_text("Member")
    expect(alice.get_by_label("Invitation link")).to_have_count(0)  # single use: it is spent

    bob.goto(invitation_url)  # a second use only tells bob he is already in
    expect(bob).to_have_url(team_url)
    expect(bob.get_by_text("You are already in Lighthouse keepers.")).to_be_visible()

    mallory = logged_in(new_context(), live_server.url, "mallory", "outsider-2026")
    mallory.goto(invitation_url)  # a forwarded link is spent
    expect(mallory.get_by_role("heading")).to_have_text("This invitation can no longer be used")
    expect(mallory.get_by_role("button", name="Join Lighthouse keepers")).to_have_count(0)
    assert mallory.goto(team_url).status == 404


def test_bobs_team_generation_goes_live_in_alices_team_gallery_and_stays_hidden_from_mallory(
    slow_simulator, qcluster, alice_page: Page, new_context, live_server, team, outsider
):
    alice = alice_page
    gallery_url = f"{live_server.url}/teams/{team.pk}/gallery/"
    alice.goto(gallery_url)
    expect(alice.get_by_text("Nothing shared with Lighthouse keepers yet.")).to_be_visible()
    alice.evaluate("window.__noReload = true")

    bob = logged_in(new_context(), live_server.url, "bob", "builder-2026")
    form = bob.locator("#prompt-form")
    form.get_by_label("Where").select_option(label="Lighthouse keepers")
    form.get_by_label("Prompt", exact=True).fill("a keeper's cottage in the storm")
    form.get_by_role("button", name="Generate").click()
    bobs_card = bob.locator("#history > article").first
    expect(bobs_card.locator(".prompt")).to_have_text("a keeper's cottage in the storm")
    card_id = bobs_card.get_attribute("id")
    pk = int(card_id.removeprefix("generation-"))

    # Alice's open gallery asks for new cards every few seconds; the card then updates itself.
    card = alice.locator(f"#{card_id}")
    expect(card.locator(".prompt")).to_have_text(
        "a keeper's cottage in the storm", timeout=LIVE_TIMEOUT
    )
    expect(card.locator(".team-tag")).to_have_text("Lighthouse keepers · by bob")
    expect(card.locator(".badge")).to_have_text(WAITING)
    expect(alice.get_by_text("Nothing shared with Lighthouse keepers yet.")).to_be_hidden()
    expect(card.locator(".tile-image img")).to_have_count(0)

    expect(card.locator(".tile-image img")).to_have_count(1, timeout=PIPELINE_TIMEOUT)
    alice.wait_for_function(THUMBNAILS_LOADED, arg=f"#{card_id} .tile-image img")
    assert alice.evaluate("window.__noReload") is True

    image_urls = [
        f"{live_server.url}/g/{pk}/images/0/original/",
        f"{live_server.url}/g/{pk}/images/0/thumbnail/",
        f"{live_server.url}/g/{pk}/images/0/download/",
    ]
    for url in image_urls:
        assert alice.request.get(url).status == 200, url

    mallory = logged_in(new_context(), live_server.url, "mallory", "outsider-2026")
    for url in (f"{live_server.url}/g/{pk}/", gallery_url):
        response = mallory.goto(url)
        assert response.status == 404, url
        expect(mallory.get_by_role("heading", name="Not Found")).to_be_visible()
        expect(mallory.get_by_text("a keeper's cottage")).to_have_count(0)
    for url in [*image_urls, f"{live_server.url}/g/{pk}/card/"]:
        assert mallory.request.get(url).status == 404, url


def test_a_hidden_team_gallery_asks_nothing_and_catches_up_when_shown(
    alice_page: Page, live_server, team, other_user
):
    alice = alice_page
    alice.goto(f"{live_server.url}/teams/{team.pk}/gallery/?q=harbour")
    expect(alice.get_by_text("Nothing matches these filters.")).to_be_visible()

    assert hide_tab(alice) == 0
    alice.wait_for_function(NOTHING_IN_FLIGHT)  # a poll sent just before has its answer
    asked = []
    alice.on("request", lambda request: asked.append(request.url))
    done = {"team": team, "status": "SUCCEEDED"}  # finished: these cards ask nothing themselves
    make_generation(other_user, prompt="a harbour made while alice looks away", **done)
    make_generation(other_user, prompt="a meadow, not what alice searched for", **done)
    wait_for_refused_requests(alice, "#review-newer", 1)  # its poll came round: refused
    assert asked == []
    expect(alice.locator("#history > article")).to_have_count(0)

    with alice.expect_request(lambda request: request.url.endswith("/gallery/?q=harbour")):
        assert show_tab(alice) == 1  # shown again: it asks at once, not at the next tick
    expect(alice.locator("#history > article .prompt")).to_have_text(
        ["a harbour made while alice looks away"]
    )
    assert asked and all(url.endswith("/gallery/?q=harbour") for url in asked), asked


@pytest.mark.parametrize("width", [390, 1440])
def test_someone_without_an_account_signs_up_through_the_link_and_joins(
    new_context, live_server, user, width
):
    team = Team.create("Lighthouse keepers", owner=user)
    invitation = Invitation.objects.create(team=team, role=Role.MEMBER, created_by=user)
    dora = new_context(viewport={"width": width, "height": 900}).new_page()
    dora.goto(f"{live_server.url}{invitation.get_absolute_url()}")
    expect(dora.get_by_role("heading", name="Join Lighthouse keepers")).to_be_visible()

    dora.get_by_label("Username").fill("dora")
    dora.get_by_label("Password", exact=True).fill("short")
    dora.get_by_label("Password confirmation").fill("short")
    dora.get_by_role("button", name="Create my account and join Lighthouse keepers").click()
    expect(dora.locator("#field-password2").get_by_role("alert")).to_contain_text("too short")

    dora.get_by_label("Password", exact=True).fill("a-long-harbour-2026")
    dora.get_by_label("Password confirmation").fill("a-long-harbour-2026")
    dora.get_by_role("button", name="Create my account and join Lighthouse keepers").click()
    expect(dora.get_by_text("Welcome to Lighthouse keepers.")).to_be_visible()
    expect(dora.get_by_role("heading", name="Lighthouse keepers")).to_be_visible()
    expect(dora.get_by_text("You are a member here.")).to_be_visible()
