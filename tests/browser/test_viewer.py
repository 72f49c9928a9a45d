"""The full-size viewer on the detail page: open a thumbnail, step with ←/→, close with Escape."""

import re

from playwright.sync_api import Page, expect

from ..factories import finished_generation


def test_the_viewer_steps_through_the_originals_with_the_keyboard(
    alice_page: Page, live_server, user, media_root
):
    generation = finished_generation(user, prompt="three lighthouses", n=3)
    page = alice_page
    page.goto(f"{live_server.url}/g/{generation.pk}/")
    viewer = page.get_by_role("dialog", name="Image viewer")
    picture = viewer.locator(".viewer-image")

    def shows(index: int) -> None:
        expect(picture).to_have_attribute(
            "src", re.compile(rf"/g/{generation.pk}/images/{index}/original/$")
        )
        expect(viewer.locator(".viewer-count")).to_have_text(f"{index + 1} / 3")
        expect(viewer.get_by_role("link", name="Download original")).to_have_attribute(
            "href", f"/g/{generation.pk}/images/{index}/download/"
        )

    page.get_by_role("img", name="Image 2: three lighthouses").click()
    expect(viewer).to_be_visible()
    shows(1)
    page.wait_for_function(
        "() => document.querySelector('dialog.viewer img').naturalWidth === 64"
    )  # the original itself loaded, through the permission-checking view

    page.keyboard.press("ArrowRight")
    shows(2)
    page.keyboard.press("ArrowRight")  # round to the first
    shows(0)
    page.keyboard.press("ArrowLeft")
    shows(2)
    viewer.get_by_role("button", name="Previous image (←)").click()
    shows(1)

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/g/{generation.pk}/")  # no tab, no navigation
    expect(page.locator(f'a[href="/g/{generation.pk}/images/1/original/"]')).to_be_focused()
