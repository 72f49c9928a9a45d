"""Monthly budgets: a generation is made only when its worst case fits, and holds it until its
task ends; the refusal says the numbers; parallel requests never overspend."""

import html
import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from gallery import budgets
from gallery.models import Budget, Generation, Team, UsageEntry

from .conftest import run_dispatcher
from .factories import PROMPT_FORM, make_generation

Status = Generation.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def priced(settings):
    """wanx2.1-t2i-turbo at 0.20 CNY an image, so that four cost 0.80."""
    settings.DASHSCOPE_PRICES = {"wanx2.1-t2i-turbo": Decimal("0.20")}


def spent(holder, images: int, cost: str = "0", *, team=None, billed_at=None) -> UsageEntry:
    """A ledger entry of `holder`'s, as if billed earlier this month."""
    fields = {"billed_at": billed_at} if billed_at else {}
    return UsageEntry.objects.create(
        user=holder,
        team=team,
        model="wanx2.1-t2i-turbo",
        region="cn-beijing",
        images=images,
        cost=Decimal(cost),
        **fields,
    )


def create(client: Client, **fields):
    return client.post("/", {**PROMPT_FORM, **fields}, headers={"HX-Request": "true"})


def refusal(response) -> str | None:
    """What the form says beside Generate: the budget's refusal, whole; None if it made one."""
    said = REFUSAL.search(response.content.decode())
    return html.unescape(said["words"]) if said else None


REFUSAL = re.compile(r'<p class="errors" role="alert">(?P<words>[^<]*)</p>')


@pytest.mark.django_db
def test_a_generation_that_would_overspend_a_cny_budget_is_refused_with_the_numbers(
    logged_in, user, priced, take_queued_jobs
):
    Budget.objects.create(user=user, unit=Budget.Unit.CNY, limit=Decimal("20.00"))
    spent(user, images=98, cost="19.60")

    response = create(logged_in, n=4, team="")  # "Only me", as the form sends it

    assert refusal(response) == (
        "This needs 0.80 CNY; your budget has 0.40 of 20.00 left this month."
    )
    assert not Generation.objects.exists()
    assert take_queued_jobs() == []  # nothing queued, nothing sent

    assert create(logged_in, n=2).status_code == 200
    assert Generation.objects.get().reserved_cost == Decimal("0.40")  # exactly what was left


@pytest.mark.django_db
def test_what_is_queued_or_at_dashscope_holds_its_worst_case_of_an_images_budget(logged_in, user):
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=5)
    make_generation(user, n=2, status=Status.RUNNING, task_id="t-1")
    make_generation(user, n=4, status=Status.FAILED)  # ended unbilled: holds nothing

    said = refusal(create(logged_in, n=4))

    assert said == "This needs 4 images; your budget has 3 of 5 left this month."
    assert refusal(create(logged_in, n=3)) is None
    assert Generation.objects.filter(status=Status.QUEUED).get().n == 3


@pytest.mark.django_db
def test_a_teams_budget_binds_every_member_and_says_whose_it_is(client, team, other_user):
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=3)
    spent(team.owner, images=2, team=team)  # the owner's, in the team
    client.force_login(other_user)

    said = refusal(create(client, n=2, team=team.pk))

    assert said == (
        "This needs 2 images; the budget of Lighthouse keepers has 1 of 3 left this month."
    )
    assert refusal(create(client, n=2)) is None  # privately, the team's budget is not theirs
    assert Generation.objects.get().team is None


@pytest.mark.django_db
def test_a_budget_of_nothing_allows_nothing(logged_in, user):
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=0)

    said = refusal(create(logged_in, n=1))

    assert said == "This needs 1 image; your budget has 0 of 0 left this month."
    assert not Generation.objects.exists()


@pytest.mark.django_db
def test_a_cny_budget_refuses_a_model_without_a_price(logged_in, user, settings):
    settings.DASHSCOPE_PRICES = {"*": None}
    Budget.objects.create(user=user, unit=Budget.Unit.CNY, limit=100)

    said = refusal(create(logged_in, n=1))

    assert said == (
        "Wan 2.1 Turbo has no price listed for this region, so it cannot be weighed against a "
        "budget in CNY."
    )
    assert not Generation.objects.exists()


@pytest.mark.django_db
def test_the_month_is_the_calendar_month_in_time_zone(user, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=10)
    spent(user, 4, billed_at=datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI))  # November
    spent(user, 3, billed_at=datetime(2026, 12, 1, 0, 1, tzinfo=SHANGHAI))  # 16:01 UTC, Nov 30

    month = budgets.month_start(datetime(2026, 12, 8, 12, 34, 56, 789, tzinfo=SHANGHAI))
    standing = budgets.standing_of(user, month)

    assert month == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert (standing.spent_images, standing.used, standing.left) == (3, 3, 7)


@pytest.mark.django_db(transaction=True)
def test_what_dashscope_did_not_bill_is_released_when_the_task_ends(
    dashscope, logged_in, user, priced
):
    """Three asked for, two returned (a partial failure): two are spent, one comes back."""
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=5)
    dashscope.config.partial_failure = True

    create(logged_in, n=3)  # and the dispatcher's run (q2 runs it inline here)

    standing = budgets.standing_of(user)
    assert (standing.spent_images, standing.held_images, standing.left) == (2, 0, 3)
    assert refusal(create(logged_in, n=3)) is None
    assert Generation.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_failed_task_spends_nothing_of_a_budget(dashscope, logged_in, user):
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=2)
    create(logged_in, n=2, prompt="something forbidden at the seaside")

    run_dispatcher()

    assert Generation.objects.get().status == Status.FAILED
    assert budgets.standing_of(user).left == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder", ["user", "team"])
def test_twenty_creates_at_once_take_exactly_what_fits_a_budget_of_five_images(
    holder, team, user, other_user
):
    """On SQLite and on PostgreSQL (the suite runs on both): the budgets are locked before
    their use is worked out, so no two requests both take the last image."""
    if holder == "user":
        Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=5)
    else:
        Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=5)
    start, answers, failures = threading.Barrier(20), [], []

    def post(person) -> None:
        client = Client(raise_request_exception=True)
        client.force_login(person)
        try:
            start.wait(timeout=30)
            answers.append(create(client, n=1, team=team.pk))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()  # this thread's own

    people = [user] * 20 if holder == "user" else [user, other_user] * 10
    threads = [threading.Thread(target=post, args=(person,), daemon=True) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    refused = [answer for answer in answers if refusal(answer)]
    assert (len(answers), len(refused)) == (20, 15)
    assert Generation.objects.count() == 5
    assert budgets.standing_of(user if holder == "user" else team).left == 0


@pytest.mark.django_db
def test_retrying_is_held_to_the_budget_too(logged_in, user):
    Budget.objects.create(user=user, unit=Budget.Unit.IMAGES, limit=2)
    failed = make_generation(user, n=3, status=Status.FAILED, error_code="InternalError")

    page = logged_in.post(f"/g/{failed.pk}/retry/", follow=True).content.decode()

    assert "This needs 3 images; your budget has 2 of 2 left this month." in page
    assert Generation.objects.count() == 1


@pytest.mark.django_db
def test_beside_generate_the_month_so_far_and_a_warning_from_80_percent(
    logged_in, user, team, priced
):
    spent(user, images=3, cost="0.60")
    page = logged_in.get("/").content.decode()
    assert "This month: 0.60 CNY spent, on 3 images." in page

    Budget.objects.create(user=user, unit=Budget.Unit.CNY, limit=Decimal("5.00"))
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=10)
    spent(user, images=1, cost="3.60", team=team)
    page = logged_in.get("/").content.decode()

    assert "Your budget: 4.20 of 5.00 CNY used this month, 0.80 left." in page
    assert "84 % of it is used." in page


@pytest.mark.django_db
def test_choosing_a_team_shows_its_budget_beside_generate(logged_in, user, team):
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=10)
    spent(user, images=10, team=team)
    form = logged_in.get("/").content.decode()
    assert 'hx-get="/standings/" hx-target="#standings" hx-swap="innerHTML"' in form

    chosen = logged_in.get("/standings/", {"team": team.pk}).content.decode()
    only_me = logged_in.get("/standings/", {"team": ""}).content.decode()

    assert "Budget of Lighthouse keepers: 10 of 10 images used this month, 0 left." in chosen
    assert "Nothing is left of it this month." in chosen
    assert "This month: 0.00 CNY spent, on 10 images." in chosen  # and the person's own
    assert "Lighthouse keepers" not in only_me


@pytest.mark.django_db
def test_a_viewer_choosing_the_team_learns_nothing_of_its_budget(client, team):
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=10)
    client.force_login(team.viewer)

    page = client.get("/standings/", {"team": team.pk}).content.decode()

    assert "Lighthouse keepers" not in page and "This month:" in page


@pytest.mark.django_db(transaction=True)
def test_the_teams_owner_is_mailed_once_at_80_and_once_at_100_percent(
    dashscope, client, team, user, other_user, settings
):
    settings.EMAIL_CONFIGURED = True
    user.email = "alice@example.com"  # the team's owner
    user.save()
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=10)
    elsewhere = Team.create("Harbour pilots", owner=other_user)
    Budget.objects.create(team=elsewhere, unit=Budget.Unit.IMAGES, limit=10)
    client.force_login(other_user)

    for n in (4, 4, 1, 1):  # 40 %, 80 %, 90 %, 100 %
        create(client, n=n, team=team.pk)
        run_dispatcher()

    assert [message.to for message in mail.outbox] == [["alice@example.com"]] * 2
    assert [message.subject for message in mail.outbox] == [
        "Lighthouse keepers has spent 80% of its budget this month",
        "Lighthouse keepers has spent 100% of its budget this month",
    ]
    assert "spent 10 of its monthly budget of 10 images" in mail.outbox[1].body
    assert Budget.objects.get(team=elsewhere).warned_for is None  # not another team's


@pytest.mark.django_db(transaction=True)
def test_a_new_month_warns_again(dashscope, logged_in, user, team, settings):
    settings.EMAIL_CONFIGURED = True
    user.email = "alice@example.com"
    user.save()
    last_month = (budgets.month_start() - timedelta(days=1)).date()
    Budget.objects.create(
        team=team, unit=Budget.Unit.IMAGES, limit=5, warned_percent=100, warned_for=last_month
    )

    create(logged_in, n=4, team=team.pk)
    run_dispatcher()

    assert [message.subject for message in mail.outbox] == [
        "Lighthouse keepers has spent 80% of its budget this month"
    ]


@pytest.mark.django_db(transaction=True)
def test_no_mail_without_email_configured(dashscope, logged_in, user, team, settings):
    settings.EMAIL_CONFIGURED = False
    user.email = "alice@example.com"
    user.save()
    Budget.objects.create(team=team, unit=Budget.Unit.IMAGES, limit=1)

    create(logged_in, n=1, team=team.pk)
    run_dispatcher()

    assert mail.outbox == []
    assert budgets.standing_of(team).spent_images == 1
