"""Editing with reference images in a browser, at a phone's width and a desktop's: choose
wan2.7-image, take one reference from the gallery and upload another, see the result with its
references (and a box drawn on one) on its card, remix it with them."""

import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from gallery.models import Generation

from ..factories import finished_generation, store_image
from .helpers import prompt_options

PIPELINE_TIMEOUT = 30_000


@pytest.fixture
def earlier(user, media_root):
    """A picture alice made before, in her gallery."""
    generation = finished_generation(
        user, images=0, prompt="a red boat", status=Generation.Status.SUCCEEDED
    )
    store_image(generation, 0, width=512, height=512)
    return generation


@pytest.mark.parametrize("width", [390, 1440])
def test_an_edit_with_a_picked_and_an_uploaded_reference(
    qcluster, alice_page: Page, earlier, tmp_path, width
):
    page = alice_page
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()
    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill("the boat of image 1 on the sea of image 2")

    # From the gallery beside the form: the form stays, with what was typed, and takes it.
    page.locator(f"#generation-{earlier.pk} .tile-image").click()  # its lightbox
    page.get_by_role("dialog").get_by_role("link", name="Use as reference").click()
    expect(form.locator(".reference-list li")).to_have_count(1)
    expect(form.get_by_label("Model")).to_have_value("wan2.7-image")
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(
        "the boat of image 1 on the sea of image 2"
    )

    sea = tmp_path / "sea.png"
    Image.new("RGB", (600, 400), (20, 60, 200)).save(sea)
    form.locator("input[name=reference_uploads]").set_input_files(str(sea))
    expect(form.locator(".reference-list li")).to_have_count(2)
    expect(form.locator(".reference-list li").nth(1)).to_contain_text("image 2")
    form.locator(".reference-list li").nth(1).get_by_label("Boxes").fill("0,200,600,400")
    prompt_options(page).get_by_label("Size").select_option("1K")  # a phone folded them again
    form.get_by_role("button", name="Generate").click()

    card = page.locator("#history > article").first
    expect(card.locator(".prompt")).to_have_text("the boat of image 1 on the sea of image 2")
    card = page.locator(f"#{card.get_attribute('id')}")
    images = card.locator(".tile-image img")
    expect(images).to_have_count(1, timeout=PIPELINE_TIMEOUT)
    images.first.click()
    lightbox = page.get_by_role("dialog", name="Image viewer")
    strip = lightbox.locator(".reference-strip li")
    expect(strip).to_have_count(2)
    expect(strip.nth(0)).to_contain_text("image 1")
    expect(strip.nth(1)).to_contain_text("0,200,600,400")
    page.keyboard.press("Escape")

    images.first.hover()  # the prompt and its links show over the image
    card.get_by_role("link", name="Remix").click()
    expect(page.locator("#prompt-form .reference-list li")).to_have_count(2)
    expect(page.locator("#prompt-form").get_by_label("Prompt", exact=True)).to_have_value(
        re.compile("the boat of image 1")
    )
    expect(
        page.locator("#prompt-form .reference-list li").nth(1).get_by_label("Boxes")
    ).to_have_value("0,200,600,400")
