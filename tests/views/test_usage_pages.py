"""The usage pages: mine, a team's, everyone's. Their figures are the ledger's sums over
calendar days in the installation's TIME_ZONE (here Shanghai, eight hours ahead of UTC), and
each shows only what its reader may see."""

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from gallery import budgets
from gallery.models import Budget, Preferences, Team, UsageEntry

from ..factories import create_user

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DECEMBER = {"since": "2026-12-01", "until": "2026-12-31"}


@pytest.fixture(autouse=True)
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def staff(db):
    return create_user("root", "staff-2026", is_staff=True)


@pytest.fixture
def other_team(outsider):
    return Team.create("Night shift", owner=outsider)


def bill(user, at: str, images: int, price: str | None, team=None, model="wan2.7-image"):
    """A ledger entry billed at `at` (UTC, as "2026-12-01T10:00")."""
    return UsageEntry.objects.create(
        user=user,
        team=team,
        model=model,
        region="cn-beijing",
        images=images,
        unit_price=None if price is None else Decimal(price),
        cost=None if price is None else Decimal(price) * images,
        billed_at=datetime.fromisoformat(at).replace(tzinfo=UTC),
    )


@pytest.fixture
def ledger(user, other_user, team, other_team, outsider):
    """alice owns the team, bob is its member; mallory owns the night shift."""
    alice, bob = user, other_user
    return {
        # Shanghai's 1 December, 00:30: December's first entry
        "first": bill(alice, "2026-11-30T16:30", 2, "0.2", team=team),
        # Shanghai's 30 November, 23:59: November's
        "november": bill(alice, "2026-11-30T15:59", 3, "0.14", model="wanx2.1-t2i-turbo"),
        "bob": bill(bob, "2026-12-07T10:00", 1, "0.2", team=team),
        "unpriced": bill(bob, "2026-12-15T03:00", 4, None, team=team, model="qwen-image-3.0"),
        # Shanghai's 31 December, 23:59: December's last; bob's own
        "last": bill(bob, "2026-12-31T15:59", 1, "0.14", model="wanx2.1-t2i-turbo"),
        # Shanghai's 1 January, 00:00: next year's
        "january": bill(alice, "2026-12-31T16:00", 2, "0.14", team=team, model="wanx2.1-t2i-turbo"),
        "night": bill(outsider, "2026-12-10T12:00", 5, "0.2", team=other_team),
    }


def shanghai_days(first: date, last: date) -> dict:
    """`billed_at` within these Shanghai days, worked out without the app's code."""
    since = datetime.combine(first, time(), SHANGHAI)
    until = datetime.combine(last + timedelta(days=1), time(), SHANGHAI)
    return {"billed_at__gte": since, "billed_at__lt": until}


def sums(**filters) -> tuple[int, Decimal]:
    """The ledger's images and cost, summed in Python: SQLite's own SUM of a decimal column
    adds floating-point numbers, a little off in the last places, not what the ledger says."""
    entries = UsageEntry.objects.filter(**filters)
    images = entries.aggregate(images=Sum("images"))["images"] or 0
    return images, sum(
        (cost for cost in entries.values_list("cost", flat=True) if cost), Decimal(0)
    )


def figures(line) -> tuple[int, Decimal]:
    return line.images, line.cost


def get(client, who, name: str, *args, **params):
    client.force_login(who)
    return client.get(reverse(f"gallery:{name}", args=args), params)


# The figures are the ledger's


def test_my_page_sums_my_entries_private_and_team_alike(client, user, ledger):
    report = get(client, user, "usage", since="2026-11-01", until="2026-12-31", by="month").context[
        "report"
    ]

    assert [(line.label, *figures(line)) for line in report.buckets] == [
        ("2026-11", 3, Decimal("0.42")),
        ("2026-12", 2, Decimal("0.4")),
    ]
    assert figures(report.total) == sums(
        user=user, **shanghai_days(date(2026, 11, 1), date(2026, 12, 31))
    )
    assert report.people is None and report.teams is None


def test_a_month_begins_and_ends_at_midnight_in_the_installations_time_zone(client, staff, ledger):
    report = get(client, staff, "usage_all", **DECEMBER).context["report"]

    december = {"first", "bob", "unpriced", "last", "night"}
    assert report.total.images == sum(ledger[name].images for name in december) == 13
    assert report.total.cost == Decimal("1.74")
    assert figures(report.total) == sums(**shanghai_days(date(2026, 12, 1), date(2026, 12, 31)))
    assert figures(report.buckets[0]) == (2, Decimal("0.4"))  # 1 December: 00:30 in Shanghai
    assert figures(report.buckets[-1]) == (1, Decimal("0.14"))  # 31 December: 23:59


def test_a_person_reading_times_in_another_zone_sees_the_same_days(client, staff, ledger):
    """Budgets count months in TIME_ZONE: so do the usage pages, for everyone."""
    client.cookies[Preferences.TIME_ZONE_COOKIE] = "America/Los_Angeles"
    report = get(client, staff, "usage_all", **DECEMBER).context["report"]

    assert figures(report.total) == (13, Decimal("1.74"))
    assert figures(report.buckets[0]) == (2, Decimal("0.4"))


@pytest.mark.parametrize(
    ("by", "columns"),
    [("day", 92), ("week", 14), ("month", 3)],  # 1 Nov – 31 Jan: 92 days, from Monday 26 Oct
)
def test_each_day_week_and_month_is_the_ledger_of_its_days_those_without_usage_too(
    client, staff, ledger, by, columns
):
    report = get(client, staff, "usage_all", since="2026-11-01", until="2027-01-31", by=by)
    buckets = report.context["report"].buckets

    assert len(buckets) == columns
    for line, following in zip(buckets, [*buckets[1:], None], strict=True):
        first = max(line.start, date(2026, 11, 1))
        last = following.start - timedelta(days=1) if following else date(2027, 1, 31)
        assert figures(line) == sums(**shanghai_days(first, last)), line.label
    assert sum(line.images for line in buckets) == 18
    assert sum(1 for line in buckets if line.images) == {"day": 7, "week": 4, "month": 3}[by]


def test_per_model_person_and_team_are_the_ledgers(client, staff, ledger, team, other_team):
    report = get(client, staff, "usage_all", **DECEMBER).context["report"]
    december = shanghai_days(date(2026, 12, 1), date(2026, 12, 31))

    models = {line.label: figures(line) for line in report.models}
    assert models == {
        "wan2.7-image": (8, Decimal("1.6")),
        "wanx2.1-t2i-turbo": (1, Decimal("0.14")),
        "qwen-image-3.0": (4, Decimal(0)),
    }
    assert models["wan2.7-image"] == sums(model="wan2.7-image", **december)
    people = {line.label: figures(line) for line in report.people}
    assert people == {
        "alice": (2, Decimal("0.4")),
        "bob": (6, Decimal("0.34")),
        "mallory": (5, Decimal("1.0")),
    }
    assert people["bob"] == sums(user__username="bob", **december)
    teams = {line.label: figures(line) for line in report.teams}
    assert teams == {
        "Lighthouse keepers": (7, Decimal("0.6")),
        "Night shift": (5, Decimal("1.0")),
        "No team (private)": (1, Decimal("0.14")),
    }
    assert teams["Lighthouse keepers"] == sums(team=team, **december)


def test_the_page_shows_the_figures_with_two_decimals_and_its_time_zone(client, staff, ledger):
    body = get(client, staff, "usage_all", **DECEMBER).content.decode()

    assert "<strong>1.74</strong> CNY" in body
    assert "<strong>13</strong> images" in body
    assert '<span translate="no">Asia/Shanghai</span>' in body
    assert "2026-12-01: 2 images, 0.40 CNY" in body  # the first day's column, read out
    assert body.count('<rect class="bar"') == 31 + 31 + 3 + 3 + 3  # columns, then table rows


def test_images_without_a_known_price_are_counted_and_said_so(client, user, ledger, team):
    report = get(client, user, "team_usage", team.pk, **DECEMBER)

    assert report.context["report"].total.unpriced == 4
    assert figures(report.context["report"].total) == (7, Decimal("0.6"))
    assert "4 images had no known price" in report.content.decode()


def test_a_period_with_no_usage_still_shows_its_days(client, outsider, ledger):
    report = get(client, outsider, "usage", since="2026-11-01", until="2026-11-30").context[
        "report"
    ]

    assert len(report.buckets) == 30
    assert {figures(line) for line in report.buckets} == {(0, Decimal(0))}


def test_the_default_period_is_this_month_to_today(client, user, monkeypatch, ledger):
    moment = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)  # Shanghai's 15 December, 01:00
    monkeypatch.setattr(timezone, "now", lambda: moment)

    response = get(client, user, "usage")

    report = response.context["report"]
    assert (report.period.first, report.period.last) == (date(2026, 12, 1), date(2026, 12, 15))
    assert len(report.buckets) == 15
    assert figures(report.total) == (2, Decimal("0.4"))
    page = response.content.decode()
    assert 'aria-current="true">This month</a>' in page
    assert 'name="since" value="2026-12-01"' in page and 'name="until" value="2026-12-15"' in page


def test_the_page_of_a_budgeted_team_says_where_this_month_stands(client, user, team, ledger):
    Budget.objects.create(team=team, unit=Budget.Unit.CNY, limit=Decimal("10"))
    used = budgets.standing_of(team).figures

    page = get(client, user, "team_usage", team.pk).content.decode()

    assert (
        f"Budget of Lighthouse keepers: {used['used']} of 10.00 CNY used this month, "
        f"{used['left']} left." in page
    )


# Who sees what


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_see_the_teams_totals_but_not_who_spent_them(
    client, team, other_user, ledger, role
):
    reader = other_user if role == "member" else team.viewer
    response = get(client, reader, "team_usage", team.pk, **DECEMBER)

    assert figures(response.context["report"].total) == (7, Decimal("0.6"))
    assert response.context["report"].people is None
    assert "Per person" not in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_the_owner_and_staff_see_the_team_per_person(client, user, staff, team, ledger, who):
    response = get(client, user if who == "owner" else staff, "team_usage", team.pk, **DECEMBER)

    people = {line.label: figures(line) for line in response.context["report"].people}
    assert people == {"alice": (2, Decimal("0.4")), "bob": (5, Decimal("0.2"))}


def test_someone_outside_the_team_does_not_find_its_usage(client, outsider, team, ledger):
    assert get(client, outsider, "team_usage", team.pk).status_code == 404


def test_everyones_usage_is_not_found_but_by_staff(client, user, ledger):
    assert get(client, user, "usage_all").status_code == 404


def test_the_staff_page_links_each_teams_usage(client, staff, team, other_team, ledger):
    body = get(client, staff, "usage_all", **DECEMBER).content.decode()

    for each in (team, other_team):
        assert reverse("gallery:team_usage", args=[each.pk]) + "?since=2026-12-01" in body


def test_the_menu_and_the_team_page_lead_to_the_usage(client, user, team):
    client.force_login(user)
    assert reverse("gallery:usage") in client.get(reverse("gallery:home")).content.decode()
    team_page = client.get(reverse("gallery:team", args=[team.pk])).content.decode()
    assert reverse("gallery:team_usage", args=[team.pk]) in team_page


# CSV


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_row_per_period_model_and_person_for_the_owner(client, user, team, ledger):
    response = get(client, user, "team_usage", team.pk, format="csv", **DECEMBER)

    assert response["Content-Disposition"] == (
        f'attachment; filename="wanxweb-usage-team-{team.pk}-2026-12.csv"'
    )
    rows = read_csv(response)
    assert list(rows[0]) == ["period_start", "model", "person", "images", "cost_cny"]
    assert [list(row.values()) for row in rows] == [
        ["2026-12-01", "wan2.7-image", "alice", "2", "0.4"],
        ["2026-12-07", "wan2.7-image", "bob", "1", "0.2"],
        ["2026-12-15", "qwen-image-3.0", "bob", "4", ""],
    ]


def test_the_csv_of_a_member_names_nobody(client, other_user, team, ledger):
    response = get(client, other_user, "team_usage", team.pk, format="csv", **DECEMBER, by="month")

    assert read_csv(response) == [
        {"period_start": "2026-12-01", "model": "qwen-image-3.0", "images": "4", "cost_cny": ""},
        {"period_start": "2026-12-01", "model": "wan2.7-image", "images": "3", "cost_cny": "0.6"},
    ]


def test_the_staff_csv_sums_to_the_ledger(client, staff, ledger):
    rows = read_csv(get(client, staff, "usage_all", format="csv", **DECEMBER))

    assert list(rows[0]) == ["period_start", "model", "person", "team", "images", "cost_cny"]
    december = shanghai_days(date(2026, 12, 1), date(2026, 12, 31))
    images = sum(int(row["images"]) for row in rows)
    cost = sum(Decimal(row["cost_cny"] or 0) for row in rows)
    assert (images, cost) == sums(**december) == (13, Decimal("1.74"))


# A wrong period


@pytest.mark.parametrize(
    ("params", "field", "error"),
    [
        ({"since": "2026-13-45"}, "since", "Enter a valid date."),
        ({"since": "2026-12-10", "until": "2026-12-01"}, "until", "before the start date"),
        ({"since": "2024-01-01", "until": "2026-12-31", "by": "day"}, "by", "more than 366"),
        ({"by": "decade"}, "by", "Select a valid choice."),
        ({"since": "99999-01-01"}, "since", "Enter a valid date."),
    ],
)
def test_a_wrong_period_is_said_at_its_field_and_the_page_shows_this_month(
    client, user, ledger, params, field, error
):
    response = get(client, user, "usage", **params)

    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert error in response.content.decode()
    assert response.context["report"].period.first.day == 1
    assert response.context["report"].period.by == "day"


def test_three_years_per_month_is_fine(client, user, ledger):
    response = get(client, user, "usage", since="2024-01-01", until="2026-12-31", by="month")

    assert len(response.context["report"].buckets) == 36
    assert figures(response.context["report"].total) == (5, Decimal("0.82"))


# What a page costs


@pytest.fixture
def busy_month(user, other_user, team, outsider, other_team):
    """10,000 entries over December, in three teams' work and private."""
    rng = random.Random(14)
    people = [(user, team), (other_user, team), (other_user, None), (outsider, other_team)]
    start = datetime(2026, 11, 30, 16, tzinfo=UTC)
    models = [("wan2.7-image", "0.2"), ("wanx2.1-t2i-turbo", "0.14"), ("qwen-image-3.0", None)]
    entries = []
    for i in range(10_000):
        person, where = rng.choice(people)
        model, price = rng.choice(models)
        images = rng.randint(1, 4)
        entries.append(
            UsageEntry(
                user=person,
                team=where,
                model=model,
                region="cn-beijing",
                images=images,
                unit_price=price and Decimal(price),
                cost=price and Decimal(price) * images,
                billed_at=start + timedelta(seconds=i * 31 * 86400 / 10_000),
            )
        )
    UsageEntry.objects.bulk_create(entries)


@pytest.mark.parametrize("page", ["usage", "team_usage", "usage_all"])
def test_each_page_asks_few_queries_of_a_busy_month(
    client, user, staff, team, busy_month, page, django_assert_max_num_queries
):
    reader, args = {"usage": (user, []), "team_usage": (user, [team.pk])}.get(page, (staff, []))
    client.force_login(reader)
    with django_assert_max_num_queries(10):
        response = client.get(reverse(f"gallery:{page}", args=args), DECEMBER)

    entries = {"usage": {"user": user}, "team_usage": {"team": team}}.get(page, {})
    december = shanghai_days(date(2026, 12, 1), date(2026, 12, 31))
    assert figures(response.context["report"].total) == sums(**entries, **december)
