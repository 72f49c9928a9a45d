"""wanxweb on a phone: no page scrolls sideways, the menu folds, and the prompt form is the prompt
and Generate, its options one tap away."""

import pytest
from playwright.sync_api import Browser, Page, expect

from ..factories import PASSWORD
from .helpers import CHINESE, ENGLISH, log_in

PIPELINE_TIMEOUT = 20_000


def sideways(page: Page) -> int:
    """How far the page reaches past the screen's right edge, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(
    ("width", "locale", "words"), [(360, "zh-CN", CHINESE), (390, "en-US", ENGLISH)]
)
def test_no_page_scrolls_sideways_on_a_phone(
    browser: Browser, live_server, user, alices_pages, width, locale, words
):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert sideways(page) <= 0, "the login page"
    log_in(page, live_server.url, user.username, PASSWORD, words)
    expect(page).to_have_url(f"{live_server.url}/")
    too_wide = {}
    for url in alices_pages:
        page.goto(f"{live_server.url}{url}")
        if (overflow := sideways(page)) > 0:
            too_wide[url] = overflow
    context.close()
    assert not too_wide, too_wide


def test_on_a_phone_the_menu_and_the_options_fold_and_a_prompt_is_generated(
    browser: Browser, simulator, qcluster, live_server, user
):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, user.username, PASSWORD)
    form = page.locator("#prompt-form")
    expect(form.get_by_label("Prompt", exact=True)).to_be_visible()
    expect(form.get_by_role("button", name="Generate")).to_be_visible()
    expect(form.get_by_label("Model")).to_be_hidden()
    expect(page.get_by_role("link", name="Boards")).to_be_hidden()
    expect(page.get_by_label("Model", exact=True).last).to_be_hidden()  # the filters' too

    page.get_by_text("Options").click()
    expect(form.get_by_label("Model")).to_be_visible()
    form.get_by_role("group", name="Images").get_by_text("2", exact=True).click()

    page.get_by_text("Menu").click()
    expect(page.get_by_role("link", name="Boards")).to_be_visible()
    page.get_by_text("Menu").click()
    expect(page.get_by_role("link", name="Boards")).to_be_hidden()

    form.get_by_label("Prompt", exact=True).fill("a lighthouse seen from a phone")
    form.get_by_role("button", name="Generate").click()
    card = page.locator("#history > article").first
    expect(card.locator(".prompt")).to_have_text("a lighthouse seen from a phone")
    expect(card.locator(".tile-image img")).to_have_count(2, timeout=PIPELINE_TIMEOUT)
    assert sideways(page) <= 0
    context.close()


def test_a_mistake_in_the_folded_options_is_shown_unfolded(browser: Browser, live_server, user):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, user.username, PASSWORD)
    form = page.locator("#prompt-form")
    options = page.get_by_text("Options")
    form.get_by_label("Prompt", exact=True).fill("a lighthouse")

    # One the browser refuses itself: it unfolds to point at it.
    options.click()
    form.get_by_label("Seed").fill("-5")
    options.click()
    expect(form.get_by_label("Seed")).to_be_hidden()
    form.get_by_role("button", name="Generate").click()
    expect(form.get_by_label("Seed")).to_be_visible()
    assert form.get_by_label("Seed").evaluate("input => !input.validity.valid")

    # One the server finds: the form comes back unfolded where it says so.
    form.get_by_label("Seed").fill("")
    form.get_by_label("Size").select_option("custom")
    form.get_by_label("Width").fill("")
    options.click()
    form.get_by_role("button", name="Generate").click()
    expect(form.locator("#field-width").get_by_role("alert")).to_be_visible()
    context.close()
