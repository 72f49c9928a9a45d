"""manage.py set_budget: staff set anyone's budget from the shell."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from gallery.models import Budget, Team

pytestmark = pytest.mark.django_db


def set_budget(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("set_budget", *args, stdout=out)
    return out.getvalue().strip()


def test_a_persons_budget_in_images_then_in_cny_then_cleared(user):
    assert set_budget("--user", "alice", "--images", "50") == "alice: 50 images a month"
    assert set_budget("--user", "alice", "--cny", "12.5") == "alice: 12.5 CNY a month"
    budget = Budget.objects.get(user=user)
    assert (budget.unit, budget.limit) == ("cny", Decimal("12.5"))

    assert set_budget("--user", "alice", "--clear") == "alice: no limit"
    assert not Budget.objects.exists()


def test_a_teams_budget_by_name_and_zero_means_no_spending(team):
    assert set_budget("--team", "Lighthouse keepers", "--images", "0") == (
        "Lighthouse keepers: 0 images a month"
    )
    assert Budget.objects.get(team=team).limit == 0


def test_two_teams_of_one_name_are_told_apart_by_number(team, user):
    twin = Team.create("Lighthouse keepers", owner=user)
    with pytest.raises(CommandError, match=rf"Several teams .*\({team.pk}, {twin.pk}\)"):
        set_budget("--team", "Lighthouse keepers", "--cny", "5")
    set_budget("--team", str(twin.pk), "--cny", "5")
    assert Budget.objects.get().team == twin


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--user", "nobody", "--images", "5"], "No user is named 'nobody'"),
        (["--user", "alice", "--images", "-1"], "greater than or equal to 0"),
        (["--user", "alice", "--cny", "1.234"], "no more than 2 decimal places"),
        (["--user", "alice", "--cny", "lots"], "invalid cny value"),
        (["--user", "alice"], "one of the arguments --images --cny --clear is required"),
    ],
)
def test_wrong_input_is_said_and_nothing_is_saved(user, args, says):
    with pytest.raises(CommandError, match=says):
        set_budget(*args)
    assert not Budget.objects.exists()
