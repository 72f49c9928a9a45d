"""A team's owner sets its monthly budget on the team's page; everyone in it sees where the
month stands."""

import pytest

from gallery.models import Budget

from ..test_budgets import spent

pytestmark = pytest.mark.django_db


def test_the_owner_sets_the_teams_budget_and_sees_the_month_against_it(logged_in, team, user):
    spent(user, images=3, team=team)

    response = logged_in.post(
        f"/teams/{team.pk}/budget/", {"limit": "10", "unit": "images"}, follow=True
    )

    page = response.content.decode()
    assert "The monthly budget of Lighthouse keepers is saved." in page
    assert "Budget of Lighthouse keepers: 3 of 10 images used this month, 7 left." in page
    budget = Budget.objects.get(team=team)
    assert (budget.unit, budget.limit) == ("images", 10)


def test_a_wrong_limit_is_said_at_its_field_and_nothing_is_saved(logged_in, team):
    page = logged_in.post(
        f"/teams/{team.pk}/budget/", {"limit": "2.5", "unit": "images"}
    ).content.decode()

    assert "A limit in images is a whole number." in page
    assert 'id="field-limit"' in page and 'value="2.5"' in page  # kept to correct
    assert not Budget.objects.exists()

    page = logged_in.post(f"/teams/{team.pk}/budget/", {"limit": "-1", "unit": "cny"}).content
    assert b"greater than or equal to 0" in page
    assert not Budget.objects.exists()


def test_the_owner_removes_the_limit(logged_in, team):
    Budget.objects.create(team=team, unit="cny", limit=20)

    page = logged_in.post(f"/teams/{team.pk}/budget/", {"clear": "1"}, follow=True).content

    assert b"Lighthouse keepers has no monthly budget now." in page
    assert not Budget.objects.exists()


def test_members_and_viewers_see_the_budget_but_no_form(client, team, other_user, user):
    Budget.objects.create(team=team, unit="cny", limit=20)
    spent(user, images=2, cost="1.50", team=team)
    for person in (other_user, team.viewer):
        client.force_login(person)
        page = client.get(f"/teams/{team.pk}/").content.decode()
        assert "Budget of Lighthouse keepers: 1.50 of 20.00 CNY used this month, 18.50 left." in (
            page
        )
        assert "Save the budget" not in page


def test_the_form_offers_images_or_cny_and_writes_a_limit_in_images_whole(logged_in, team):
    Budget.objects.create(team=team, unit="images", limit=500)

    page = logged_in.get(f"/teams/{team.pk}/").content.decode()

    assert 'name="limit" value="500"' in page
    assert page.count('name="unit"') == 2  # images and CNY, no blank choice
