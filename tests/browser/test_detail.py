from playwright.sync_api import Page, expect

from ..factories import make_generation
from .helpers import log_in


def test_another_user_gets_a_404_page_for_alices_generation(
    alice_page: Page, new_context, live_server, user, other_user
):
    generation = make_generation(user, prompt="alice's private lighthouse")
    url = f"{live_server.url}/g/{generation.pk}/"
    alice_page.goto(url)
    expect(alice_page.get_by_role("heading", name=f"Generation #{generation.pk}")).to_be_visible()

    bob = new_context().new_page()
    log_in(bob, live_server.url, "bob", "builder-2026")
    expect(bob).to_have_url(f"{live_server.url}/")
    response = bob.goto(url)

    assert response.status == 404
    expect(bob.get_by_role("heading", name="Not Found")).to_be_visible()
    expect(bob.get_by_text("alice's private lighthouse")).to_have_count(0)
