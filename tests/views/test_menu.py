"""The menu marks where the person is (aria-current), and nothing on an error page."""

import re

import pytest
from django.urls import reverse

from gallery.models import Membership, Role, Team


def marked(page) -> list[str]:
    return re.findall(r'aria-current="page"[^>]*>([^<]+)</a>', page.content.decode())


@pytest.fixture
def team(user):
    team = Team.objects.create(name="Keepers")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    return team


def test_each_page_marks_its_own_entry(logged_in, team):
    pages = {
        reverse("gallery:home"): ["Mine"],
        reverse("gallery:home") + "?starred=on": ["★ Favourites"],
        reverse("gallery:team_gallery", args=[team.pk]): ["Keepers"],
        reverse("gallery:boards"): ["Boards"],
        reverse("gallery:teams"): ["Teams"],
        reverse("gallery:team", args=[team.pk]): ["Teams"],
        reverse("gallery:trash"): ["Trash"],
        reverse("gallery:usage"): ["Usage", "Mine"],  # the menu's, then the page's own
        reverse("gallery:team_usage", args=[team.pk]): ["Usage", "Keepers"],
        reverse("settings"): ["Settings"],
        reverse("password_change"): ["Settings"],
    }
    for url, entries in pages.items():
        assert marked(logged_in.get(url)) == entries, url


def test_an_error_page_marks_nothing(logged_in):
    page = logged_in.get(reverse("gallery:team", args=[987654]))
    assert page.status_code == 404
    assert marked(page) == []
