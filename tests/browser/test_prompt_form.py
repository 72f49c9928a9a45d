"""The prompt form as a person types in it: focus, a count against the model's limit, Ctrl+Enter,
and the sides only for a custom size."""

from playwright.sync_api import Page, expect

from gallery.dashscope.catalog import MODELS

from ..factories import make_generation


def test_the_prompt_is_focused_counted_and_sent_with_ctrl_enter(alice_page: Page):
    page = alice_page
    form = page.locator("#prompt-form")
    prompt = form.get_by_label("Prompt", exact=True)
    expect(prompt).to_be_focused()
    most = MODELS["wanx2.1-t2i-turbo"].prompt_max
    counter = form.locator("#field-prompt .count")
    expect(counter).to_have_text(f"0 / {most}")

    page.keyboard.type("a lighthouse")
    expect(counter).to_have_text(f"12 / {most}")
    prompt.fill("x" * (most + 1))
    expect(counter).to_have_class("count over")

    prompt.fill("a lighthouse sent from the keyboard")
    prompt.press("Control+Enter")
    expect(page.locator("#history > article").first.locator(".prompt")).to_have_text(
        "a lighthouse sent from the keyboard"
    )


def test_width_and_height_show_only_for_a_custom_size(alice_page: Page):
    form = alice_page.locator("#prompt-form")
    expect(form.get_by_label("Width")).to_be_hidden()
    form.get_by_label("Size").select_option("custom")
    expect(form.get_by_label("Width")).to_be_visible()
    expect(form.get_by_label("Height")).to_be_visible()


def test_a_prompt_is_copied_from_its_page(alice_page: Page, live_server, user):
    generation = make_generation(user, prompt="a lighthouse worth copying")
    page = alice_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/g/{generation.pk}/")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "a lighthouse worth copying"
