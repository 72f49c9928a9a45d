"""The lightbox over a listing: a thumbnail opens it at the image's own address, ← and → (and a
swipe) step across the listing, Escape or back closes it, and reload opens the image's page."""

import re

import pytest
from playwright.sync_api import Page, expect

from ..factories import PASSWORD, finished_generation
from .helpers import CHINESE, ENGLISH, log_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# A swipe as a phone's browser reports it: one finger down, moved, lifted.
SWIPE = """([selector, dx]) => {
    const target = document.querySelector(selector);
    const touch = (x) => new Touch({identifier: 1, target, clientX: x, clientY: 300});
    target.dispatchEvent(new TouchEvent("touchstart", {bubbles: true, touches: [touch(300)]}));
    target.dispatchEvent(new TouchEvent("touchend",
        {bubbles: true, touches: [], changedTouches: [touch(300 + dx)]}));
}"""


@pytest.fixture
def listing(user, media_root):
    """alice's history: a harbour (one image), then three lighthouses (the newest, first)."""
    harbour = finished_generation(user, prompt="a harbour")
    lighthouses = finished_generation(user, prompt="three lighthouses", n=3)
    return harbour, lighthouses


# What the test reads, in each language: the lightbox, an image's name, two of its links, and
# the login form's words.
ENGLISH_WORDS = {
    "viewer": "Image viewer",
    "image": "Image {}: {}",
    "download": "Download original",
    "previous": "Previous image",
    "login": ENGLISH,
}
CHINESE_WORDS = {
    "viewer": "看图",
    "image": "图{}：{}",
    "download": "下载原图",
    "previous": "上一张",
    "login": CHINESE,
}


@pytest.mark.parametrize(
    ("viewport", "locale", "scheme", "words"),
    [(DESKTOP, "en-US", "light", ENGLISH_WORDS), (PHONE, "zh-CN", "dark", CHINESE_WORDS)],
    ids=["desktop-en-light", "phone-zh-dark"],
)
def test_the_lightbox_steps_across_the_listing_and_back_closes_it(
    new_context, live_server, user, listing, viewport, locale, scheme, words
):
    harbour, lighthouses = listing
    context = new_context(viewport=viewport, locale=locale, color_scheme=scheme)
    page = context.new_page()
    log_in(page, live_server.url, user.username, PASSWORD, words["login"])
    expect(page).to_have_url(f"{live_server.url}/")
    lightbox = page.get_by_role("dialog", name=words["viewer"])
    picture = lightbox.locator(".lightbox-image")

    def shows(generation, index: int) -> None:
        address = f"/g/{generation.pk}/images/{index}/"
        expect(picture).to_have_attribute("src", f"{address}original/")
        expect(page).to_have_url(f"{live_server.url}{address}")
        expect(lightbox.get_by_role("link", name=words["download"])).to_have_attribute(
            "href", f"{address}download/"
        )

    page.get_by_role("img", name=words["image"].format(2, "three lighthouses")).click()
    expect(lightbox).to_be_visible()
    shows(lighthouses, 1)
    expect(lightbox.locator(".prompt")).to_have_text("three lighthouses")
    page.wait_for_function(
        "() => document.querySelector('#lightbox .lightbox-image').naturalWidth === 64"
    )  # the original itself, through the permission-checking view

    page.keyboard.press("ArrowRight")
    shows(lighthouses, 2)
    page.keyboard.press("ArrowRight")  # on to the next generation in the listing
    shows(harbour, 0)
    expect(lightbox.locator(".prompt")).to_have_text("a harbour")
    page.keyboard.press("ArrowRight")  # round to the first
    shows(lighthouses, 0)
    lightbox.get_by_role("link", name=words["previous"]).click()
    shows(harbour, 0)
    if viewport is PHONE:
        page.evaluate(SWIPE, ["#lightbox .lightbox-stage", -120])  # to the left: the next one
        shows(lighthouses, 0)

    page.go_back()  # the steps replaced each other: back leaves the lightbox
    expect(lightbox).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#history")).to_be_visible()  # the listing, not a reloaded page

    page.get_by_role("img", name=words["image"].format(1, "a harbour")).click()
    shows(harbour, 0)
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name=words["image"].format(1, "a harbour"))).to_be_focused()


def test_a_star_given_in_the_lightbox_shows_on_the_tile(alice_page: Page, live_server, listing):
    harbour, _ = listing
    page = alice_page
    page.goto(f"{live_server.url}/")
    tile_star = page.locator(f"#generation-{harbour.pk} .star-button")
    expect(tile_star).to_have_attribute("aria-pressed", "false")

    page.get_by_role("img", name="Image 1: a harbour").click()
    lightbox = page.get_by_role("dialog", name="Image viewer")
    lightbox.get_by_role("button", name="Favourite").click()
    expect(lightbox.get_by_role("button", name="Favourite")).to_have_attribute(
        "aria-pressed", "true"
    )
    lightbox.get_by_role("link", name="Close").click()
    expect(lightbox).to_be_hidden()
    expect(tile_star).to_have_attribute("aria-pressed", "true")


def test_reload_opens_the_images_own_page_whose_arrows_step_through_the_generation(
    alice_page: Page, live_server, listing
):
    _, lighthouses = listing
    page = alice_page
    page.goto(f"{live_server.url}/")
    page.get_by_role("img", name="Image 1: three lighthouses").click()
    expect(page).to_have_url(re.compile(rf"/g/{lighthouses.pk}/images/0/$"))
    page.reload()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator(".lightbox-page .lightbox-image")).to_have_attribute(
        "src", f"/g/{lighthouses.pk}/images/0/original/"
    )
    expect(page.get_by_text("image 1 of 3")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{live_server.url}/g/{lighthouses.pk}/images/1/")
    expect(page.get_by_text("image 2 of 3")).to_be_visible()
    page.get_by_role("link", name="Close").click()  # as a page: to the generation's
    expect(page).to_have_url(f"{live_server.url}/g/{lighthouses.pk}/")
