"""Who may see what, beyond tests/test_url_permissions.py and tests/security/test_ids.py: the
cases `make mutate` showed no test held."""

import pytest

from gallery.models import Team

pytestmark = pytest.mark.django_db


def test_a_team_member_asking_for_another_teams_id_is_not_shown_their_own(client, user, other_user):
    mine = Team.create("Alice's studio", owner=user)
    theirs = Team.create("Bob's studio", owner=other_user)
    client.force_login(user)

    assert client.get(f"/teams/{theirs.pk}/").status_code == 404
    assert client.get(f"/teams/{mine.pk}/").status_code == 200
