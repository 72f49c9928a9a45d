import pytest

from ..factories import make_generation
from ..test_budgets import spent

pytestmark = pytest.mark.django_db


def test_staff_can_filter_and_search_generations(admin_client, user):
    make_generation(user, prompt="a lighthouse at dawn", status="FAILED", error_code="Arrearage")
    make_generation(user, prompt="a quiet harbour")

    by_prompt = admin_client.get("/admin/gallery/generation/", {"q": "harbour"})
    by_status = admin_client.get("/admin/gallery/generation/", {"status__exact": "FAILED"})

    assert by_prompt.context["cl"].result_count == 1
    assert "a quiet harbour" in by_prompt.content.decode()
    assert [g.prompt for g in by_status.context["cl"].result_list] == ["a lighthouse at dawn"]


def test_a_generation_page_shows_its_images_inline(admin_client, user):
    generation = make_generation(user)
    response = admin_client.get(f"/admin/gallery/generation/{generation.pk}/change/")
    assert response.status_code == 200
    assert "Generated images" in response.content.decode()


def test_staff_manage_teams_with_their_members_and_invitations(admin_client, team, user):
    team.invitations.create(role="viewer", created_by=user)
    listing = admin_client.get("/admin/gallery/team/", {"q": "carol"})
    assert listing.context["cl"].result_count == 1
    page = admin_client.get(f"/admin/gallery/team/{team.pk}/change/").content.decode()
    assert "Memberships" in page and "Invitations" in page


@pytest.mark.parametrize("model", ["board", "comment", "reviewmark"])
def test_curation_models_have_admin_pages(admin_client, model):
    assert admin_client.get(f"/admin/gallery/{model}/").status_code == 200


def test_staff_set_budgets_in_the_admin_and_see_the_month_against_them(admin_client, team, user):
    spent(user, images=3, team=team)
    added = admin_client.post(
        "/admin/gallery/budget/add/", {"team": team.pk, "unit": "images", "limit": "10"}
    )
    assert added.status_code == 302

    listing = admin_client.get("/admin/gallery/budget/").content.decode()
    assert "Lighthouse keepers: 10 images" in listing
    assert '<td class="field-used_this_month">3</td>' in listing

    both = admin_client.post(
        "/admin/gallery/budget/add/",
        {"user": user.pk, "team": team.pk, "unit": "cny", "limit": "1"},
    )
    assert "A budget is either a person&#x27;s or a team&#x27;s." in both.content.decode()


def test_the_ledger_reads_in_the_admin_and_cannot_be_changed(admin_client, user):
    entry = spent(user, images=2, cost="0.28")
    listing = admin_client.get("/admin/gallery/usageentry/").content.decode()
    assert "0.280000" in listing
    assert admin_client.get(f"/admin/gallery/usageentry/{entry.pk}/delete/").status_code == 403
