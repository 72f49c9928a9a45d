import re

from playwright.sync_api import Page, expect

from ..factories import PASSWORD
from .helpers import log_in


def test_it_logs_in_through_the_form_and_shows_the_gallery(page: Page, live_server, user):
    log_in(page, live_server.url, "alice", PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Your generations")).to_be_visible()
    expect(page.locator(".who")).to_have_text("alice")
    expect(page.locator("#prompt-form")).to_be_visible()


def test_it_shows_an_error_for_a_wrong_password(page: Page, live_server, user):
    log_in(page, live_server.url, "alice", "not-the-password")

    # The form is already at this address: the URL says something only once the answer is shown.
    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="Your generations")).to_have_count(0)
