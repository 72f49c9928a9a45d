"""Accessibility: axe-core (vendored for these tests only) finds no serious or critical violation
on any page, in Chinese and English, light and dark; focus is always visible; and what the mouse
does in the gallery, the keyboard does."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ..factories import PASSWORD, finished_generation
from .helpers import CHINESE, ENGLISH, log_in

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# The violations a person would be stopped by; "moderate" and "minor" ones are left to review.
SERIOUS_VIOLATIONS = """async () => {
    const found = await axe.run(document, {resultTypes: ["violations"]});
    return found.violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" "))}`);
}"""
# Whether the focused element shows it: its own outline, or (a choice's hidden radio button)
# its label's.
FOCUS_SHOWN = """() => {
    const focused = document.activeElement;
    if (focused === document.body) return true;  // past the last stop: in the browser's own bar
    const shows = e => { const s = getComputedStyle(e);
        return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0; };
    return shows(focused) || (focused.closest("label") !== null && shows(focused.closest("label")));
}"""


def test_axe_finds_what_it_is_here_to_find(browser: Browser, live_server):
    """The check above can fail: a picture without a text alternative is critical to axe."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any(found.startswith("image-alt:") for found in page.evaluate(SERIOUS_VIOLATIONS))
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("locale", "words"), [("zh-CN", CHINESE), ("en-US", ENGLISH)])
def test_no_page_has_a_serious_accessibility_violation(
    browser: Browser, live_server, user, alices_pages, locale, words, scheme
):
    context = browser.new_context(
        locale=locale, color_scheme=scheme, viewport={"width": 1280, "height": 900}
    )
    context.add_init_script(path=str(AXE))  # as the browser's own: the app's CSP does not apply
    page = context.new_page()
    found = {}
    page.goto(f"{live_server.url}/accounts/login/")
    found["login"] = page.evaluate(SERIOUS_VIOLATIONS)
    log_in(page, live_server.url, user.username, PASSWORD, words)
    expect(page).to_have_url(f"{live_server.url}/")
    for url in alices_pages:
        page.goto(f"{live_server.url}{url}")
        found[url] = page.evaluate(SERIOUS_VIOLATIONS)
    page.goto(f"{live_server.url}/")
    page.locator("#history a[data-lightbox]").first.click()
    expect(page.locator("#lightbox .lightbox-image")).to_be_visible()
    found["the lightbox"] = page.evaluate(SERIOUS_VIOLATIONS)
    context.close()
    assert not {where: what for where, what in found.items() if what}


def test_focus_is_visible_at_every_stop_of_the_gallery(alice_page: Page, live_server, alices_pages):
    page = alice_page  # alice_pages: her gallery holds tiles, a failed one among them
    page.goto(f"{live_server.url}/")
    unseen = []
    for _ in range(60):  # the menu, the form, the filters, the bulk bar and the first tiles
        page.keyboard.press("Tab")
        if not page.evaluate(FOCUS_SHOWN):
            unseen.append(page.evaluate("document.activeElement.outerHTML.slice(0, 120)"))
    assert not unseen


def test_the_keyboard_does_in_the_gallery_what_the_mouse_does(
    alice_page: Page, live_server, user, media_root
):
    generation = finished_generation(user, prompt="a lighthouse for the keyboard", n=2)
    page = alice_page
    page.goto(f"{live_server.url}/")
    first = page.get_by_role("link", name="Image 1: a lighthouse for the keyboard")
    second = page.get_by_role("link", name="Image 2: a lighthouse for the keyboard")

    first.focus()  # what hover shows, focus shows: the caption and the generation's controls
    tile = page.locator(f"#generation-{generation.pk} .tile").first
    expect(tile.locator(".tile-info")).to_have_css("opacity", "1")
    expect(tile.locator(".tile-corner")).to_have_css("opacity", "1")
    page.keyboard.press("Tab")  # the tick box and star of the first tile, then its caption's
    expect(page.get_by_label(f"Pick generation #{generation.pk}")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label(f"Pick generation #{generation.pk}")).to_be_checked()

    second.focus()
    page.keyboard.press("Enter")  # the lightbox
    lightbox = page.get_by_role("dialog", name="Image viewer")
    image = lightbox.locator(".lightbox-image")
    expect(image).to_have_attribute("src", f"/g/{generation.pk}/images/1/original/")
    page.keyboard.press("ArrowLeft")
    expect(image).to_have_attribute("src", f"/g/{generation.pk}/images/0/original/")
    star = lightbox.get_by_role("button", name="Favourite")
    star.focus()
    page.keyboard.press("Enter")
    expect(star).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(tile.locator(".star-button")).to_have_attribute("aria-pressed", "true")  # reloaded
    expect(first).to_be_focused()  # where the lightbox was when it closed, reload or not
