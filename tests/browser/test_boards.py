"""Boards: make one, put an image on it from the lightbox, find it there with the review
filters, take it off again."""

import re

from playwright.sync_api import Page, expect

from ..factories import finished_generation


def test_an_image_goes_onto_a_board_from_the_lightbox_and_comes_off_again(
    alice_page: Page, live_server, user, media_root
):
    generation = finished_generation(user, prompt="a harbour at low tide")
    meadow = finished_generation(user, prompt="a meadow in june")
    page = alice_page

    page.get_by_role("navigation").get_by_role("link", name="Boards").click()
    expect(page.get_by_text("No boards yet.")).to_be_visible()
    page.get_by_label("Name").fill("Harbour picks")
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("heading", name="Harbour picks")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/boards/\d+/$"))
    board_url = page.url
    expect(page.get_by_text("No images on this board yet")).to_be_visible()

    page.goto(f"{live_server.url}/")
    page.evaluate("window.__noReload = true")
    lightbox = page.get_by_role("dialog", name="Image viewer")
    for made in (meadow, generation):  # the harbour is added last
        page.get_by_role("img", name=f"Image 1: {made.prompt}").click()
        lightbox.get_by_label("Board for image 1").select_option(label="Harbour picks")
        lightbox.get_by_role("button", name="Add to board").click()
        expect(lightbox.get_by_role("status")).to_have_text("Added to “Harbour picks”.")
        expect(lightbox.locator(".on-boards")).to_have_text("On Harbour picks")
        if made is meadow:
            page.keyboard.press("Escape")
            expect(lightbox).to_be_hidden()
    assert page.evaluate("window.__noReload") is True

    lightbox.locator(".on-boards").get_by_role("link", name="Harbour picks").click()
    expect(page).to_have_url(board_url)
    expect(page.get_by_text("Personal board · 2 images, listed by when each")).to_be_visible()
    expect(page.locator("#history figure .prompt")).to_have_text(
        [f"#{generation.pk} a harbour at low tide", f"#{meadow.pk} a meadow in june"]
    )

    page.evaluate("window.__noReload = true")
    page.locator("#review-filters").get_by_label("Search").fill("harbour")
    expect(page).to_have_url(f"{board_url}?q=harbour")
    picture = page.get_by_role("img", name="Image 1: a harbour at low tide")
    expect(picture).to_be_visible()
    expect(page.get_by_role("img", name="Image 1: a meadow in june")).to_have_count(0)

    picture.hover()  # its caption and "Remove" show on hover
    page.get_by_role("button", name=f"Remove image 1 of #{generation.pk} from the board").click()
    expect(picture).to_have_count(0)
    assert page.evaluate("window.__noReload") is True
    page.goto(board_url)
    expect(page.get_by_text("Personal board · 1 image, listed by when each")).to_be_visible()
    expect(page.get_by_role("img", name="Image 1: a meadow in june")).to_be_visible()
    page.get_by_role("img", name="Image 1: a meadow in june").hover()
    page.get_by_role("button", name=f"Remove image 1 of #{meadow.pk} from the board").click()
    # The figure goes only when the server has answered: reloading before would race the removal.
    expect(page.get_by_role("img", name="Image 1: a meadow in june")).to_have_count(0)
    page.reload()
    expect(page.get_by_text("No images on this board yet")).to_be_visible()
    expect(page.locator("#history figure")).to_have_count(0)
    expect(page.get_by_text("Personal board · 0 images, listed by when each")).to_be_visible()

    page.goto(f"{live_server.url}/g/{generation.pk}/")  # the image itself stays in the gallery
    expect(page.get_by_role("img", name="Image 1: a harbour at low tide")).to_be_visible()
