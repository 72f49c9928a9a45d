"""A prompt typed on the gallery page, through a real qcluster and the DashScope simulator."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from gallery.models import Generation

from ..factories import PASSWORD, make_generation
from .helpers import CHINESE, hide_tab, log_in, show_tab, wait_for_refused_requests

# The whole pipeline (queue, submit, poll, store) takes a few seconds with these timings.
PIPELINE_TIMEOUT = 20_000
WAITING = re.compile(r"^(Queued here|Submitting|Pending at DashScope|Running)$")


@pytest.fixture
def slow_simulator(simulator):
    """Timings long enough to see the card wait before it shows images."""
    simulator.config.pending_seconds = 1.0
    simulator.config.running_seconds = 1.5
    return simulator


def submit_prompt(page: Page, prompt: str) -> None:
    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill(prompt)
    form.get_by_role("button", name="Generate").click()


def newest_card(page: Page):
    return page.locator("#history > article").first


def test_a_prompt_becomes_a_card_that_waits_then_shows_its_images(
    slow_simulator, qcluster, alice_page: Page, live_server, user
):
    page = alice_page
    make_generation(user, prompt="an older cancelled one", status=Generation.Status.CANCELED)
    page.reload()
    expect(page.locator("#history > article")).to_have_count(1)
    page.evaluate("window.__noReload = true")

    submit_prompt(page, "a lighthouse at dawn, oil painting")

    card = newest_card(page)
    expect(card.locator(".prompt")).to_have_text("a lighthouse at dawn, oil painting")
    expect(page.locator("#history > article")).to_have_count(2)
    expect(page.locator("#history > article").nth(1)).to_contain_text("an older cancelled one")
    expect(card.locator(".badge")).to_have_text(WAITING)
    expect(card.locator(".placeholder")).to_have_count(1)  # one per requested image
    card_id = card.get_attribute("id")
    card = page.locator(f"#{card_id}")  # the card is re-rendered on every poll

    images = card.locator(".tile-image img")
    expect(images).to_have_count(1, timeout=PIPELINE_TIMEOUT)
    expect(card.locator(".placeholder")).to_have_count(0)
    expect(card).to_have_attribute("data-status", "SUCCEEDED")
    expect(card).not_to_have_attribute("hx-trigger", re.compile(".*"))
    thumbnails_loaded = (
        "sel => { const imgs = [...document.querySelectorAll(sel)];"
        " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    page.wait_for_function(thumbnails_loaded, arg=f"#{card_id} .tile-image img")
    assert page.evaluate("window.__noReload") is True

    page.reload()
    page.wait_for_function(thumbnails_loaded, arg=f"#{card_id} .tile-image img")

    images.first.click()  # the lightbox, and in it the original
    link = page.get_by_role("dialog").get_by_role("link", name="Open original")
    href = link.get_attribute("href")
    with page.expect_popup() as popup:
        link.click()
    original_page = popup.value
    if settings.AWS_STORAGE_BUCKET_NAME:  # the view sent the tab on to a presigned URL
        bucket = re.escape(settings.AWS_S3_ENDPOINT_URL)
        expect(original_page).to_have_url(re.compile(f"{bucket}/.*X-Amz-Signature="))
    else:
        expect(original_page).to_have_url(f"{live_server.url}{href}")
    # Chromium shows an image URL as a document holding that one image, at full size.
    original_page.wait_for_function("() => document.images[0]?.naturalWidth === 1024")
    original = page.request.get(f"{live_server.url}{href}")
    assert original.status == 200
    assert original.headers["content-type"] == "image/png"


def test_a_flagged_prompt_ends_as_a_failure_in_plain_words(simulator, qcluster, alice_page: Page):
    page = alice_page

    submit_prompt(page, "something forbidden at the seaside")

    card = newest_card(page)
    expect(card.locator(".prompt")).to_have_text("something forbidden at the seaside")
    card = page.locator(f"#{card.get_attribute('id')}")
    expect(card.locator(".badge")).to_have_text("Failed", timeout=PIPELINE_TIMEOUT)
    error = card.locator(".error")
    expect(error).to_contain_text("DashScope's content check flagged the prompt")
    expect(error).to_contain_text("DataInspectionFailed")
    expect(card.locator(".tile-image img")).to_have_count(0)


def test_a_size_outside_the_models_limits_is_explained_beside_the_width(alice_page: Page):
    page = alice_page
    page.evaluate("window.__noReload = true")
    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill("a very wide harbour")
    form.get_by_label("Size").select_option(label="Custom…")
    form.get_by_label("Width").fill("4000")
    form.get_by_label("Height").fill("1024")
    form.get_by_role("button", name="Generate").click()

    expect(page.locator("#field-width .errors")).to_have_text(
        "Wan 2.1 Turbo needs each side between 512 and 1440 px."
    )
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("a very wide harbour")
    expect(form.get_by_label("Width")).to_have_value("4000")
    expect(page.locator("#history > article")).to_have_count(0)
    assert not Generation.objects.exists()  # read once the answer is shown, not before
    assert page.evaluate("window.__noReload") is True


def test_a_prompt_over_the_models_limit_is_explained_beside_the_prompt(alice_page: Page):
    page = alice_page
    prompt = " ".join(["a lighthouse"] * 70)  # 909 characters; Wan 2.1 Turbo takes 500
    submit_prompt(page, prompt)

    expect(page.locator("#field-prompt .errors")).to_have_text(
        "Wan 2.1 Turbo takes at most 500 characters; this prompt has 909."
    )
    expect(page.locator("#prompt-form").get_by_label("Prompt", exact=True)).to_have_value(prompt)
    expect(page.locator("#history > article")).to_have_count(0)
    assert not Generation.objects.exists()


def test_a_running_card_asks_nothing_while_its_tab_is_hidden(alice_page: Page, live_server, user):
    running = make_generation(user, prompt="a slow sunrise", status=Generation.Status.RUNNING)
    alice_page.reload()
    card_url = f"/g/{running.pk}/card/"
    asked = []
    alice_page.on("request", lambda request: asked.append(request.url))
    with alice_page.expect_request(lambda request: card_url in request.url, timeout=5_000):
        pass  # it reloads itself while shown

    assert hide_tab(alice_page) == 0
    asked.clear()
    # Its timers come round while hidden (the reload it planned, then its 3 s one): refused.
    wait_for_refused_requests(alice_page, f"#generation-{running.pk}", 2)
    assert asked == []

    with alice_page.expect_request(lambda request: card_url in request.url):
        assert show_tab(alice_page) == 1  # shown again: it asks at once, not at its next tick


def test_on_a_phone_in_chinese_and_dark_a_prompt_waits_then_opens_in_the_lightbox(
    slow_simulator, qcluster, new_context, live_server, user
):
    context = new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", color_scheme="dark"
    )
    page = context.new_page()
    log_in(page, live_server.url, user.username, PASSWORD, CHINESE)
    expect(page).to_have_url(f"{live_server.url}/")
    form = page.locator("#prompt-form")
    form.get_by_label("提示词", exact=True).fill("雨夜的港口，霓虹倒影")
    form.get_by_role("button", name="生成").click()

    card = newest_card(page)
    expect(card.locator(".prompt")).to_have_text("雨夜的港口，霓虹倒影")
    expect(card.locator(".placeholder .badge")).to_be_visible()  # its place while it waits
    card = page.locator(f"#{card.get_attribute('id')}")
    images = card.locator(".tile-image img")
    expect(images).to_have_count(1, timeout=PIPELINE_TIMEOUT)
    images.first.click()
    lightbox = page.get_by_role("dialog", name="看图")
    expect(lightbox.get_by_role("link", name="下载原图")).to_be_visible()
    expect(lightbox.locator(".prompt")).to_have_text("雨夜的港口，霓虹倒影")
