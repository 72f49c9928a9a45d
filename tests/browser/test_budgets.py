"""A team's owner sets its monthly budget, spends it in the team gallery through a real
qcluster, and is refused the next image beside Generate with the numbers."""

import pytest
from playwright.sync_api import Page, expect

from .helpers import menu, prompt_options

PIPELINE_TIMEOUT = 20_000


def count_of_images(page: Page, n: int) -> None:
    prompt_options(page).get_by_text(str(n), exact=True).click()


@pytest.mark.parametrize("width", [390, 1440])
def test_a_team_owner_sets_a_budget_spends_it_and_is_refused_with_the_numbers(
    qcluster, alice_page: Page, live_server, team, width
):
    page = alice_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/teams/{team.pk}/")
    budget = page.locator("#budget")
    budget.get_by_label("Monthly limit").fill("2")
    budget.get_by_label("images").check()
    budget.get_by_role("button", name="Save the budget").click()
    expect(page.get_by_text("The monthly budget of Lighthouse keepers is saved.")).to_be_visible()
    expect(page.locator("#budget .standing")).to_contain_text(
        "Budget of Lighthouse keepers: 0 of 2 images used this month, 2 left."
    )

    menu(page).get_by_role("link", name="Lighthouse keepers").click()
    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill("a lighthouse at dawn")
    count_of_images(page, 2)
    form.get_by_role("button", name="Generate").click()
    expect(page.locator("#history .tile-image img")).to_have_count(2, timeout=PIPELINE_TIMEOUT)

    standing = page.locator("#standings")
    expect(standing).to_contain_text(
        "Budget of Lighthouse keepers: 2 of 2 images used this month, 0 left."
    )
    expect(standing).to_contain_text("Nothing is left of it this month.")

    form = page.locator("#prompt-form")
    form.get_by_label("Prompt", exact=True).fill("a second lighthouse")
    count_of_images(page, 1)
    options = page.locator("#prompt-options")
    if width < 860:  # folded again by the person, as the phone drew it first
        options.locator("> summary").click()
    form.get_by_role("button", name="Generate").click()
    refusal = form.get_by_role("alert")
    expect(refusal).to_have_text(
        "This needs 1 image; the budget of Lighthouse keepers has 0 of 2 left this month."
    )
    expect(refusal).to_be_in_viewport()  # beside Generate, where it was pressed
    if width < 860:
        expect(options).not_to_have_attribute("open", "")  # as the person left it
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("a second lighthouse")
    expect(page.locator("#history > article")).to_have_count(1)  # nothing was made

    prompt_options(page).get_by_label("Where").select_option(label="Only me")  # not the team's
    expect(page.locator("#standings")).not_to_contain_text("Lighthouse keepers")
    expect(page.locator("#standings")).to_contain_text("CNY spent, on 2 images.")
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("a second lighthouse")
