"""The usage ledger: each task DashScope billed, once, at the price of that moment."""

from decimal import Decimal

import pytest

from gallery import lifecycle
from gallery.dashscope.client import TaskState, TaskStatus
from gallery.models import Generation, UsageEntry
from gallery.pacing import PollSchedule

from .conftest import run_dispatcher
from .factories import make_generation

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
TURBO_PRICE = Decimal("0.14")  # wanx2.1-t2i-turbo in Beijing, from the catalog


def test_a_task_that_succeeded_is_billed_its_images_at_the_catalogs_price(dashscope, team, user):
    generation = make_generation(user, team=team, n=2)

    run_dispatcher()

    entry = UsageEntry.objects.get()
    assert (entry.generation, entry.user, entry.team) == (generation, user, team)
    assert (entry.model, entry.region, entry.images) == ("wanx2.1-t2i-turbo", "cn-beijing", 2)
    assert (entry.unit_price, entry.cost) == (TURBO_PRICE, 2 * TURBO_PRICE)


def test_a_partial_failure_is_billed_only_the_images_dashscope_returned(dashscope, user):
    dashscope.config.partial_failure = True
    make_generation(user, n=3)

    run_dispatcher()

    assert UsageEntry.objects.get().images == 2  # its usage.image_count, not the 3 asked for


def test_a_success_seen_twice_is_billed_once(user, monkeypatch):
    """Two dispatchers, or a query answered after a retry, may both see the same success."""
    monkeypatch.setattr(lifecycle, "_start_store_job", lambda record: None)
    generation = make_generation(user, status=Status.RUNNING, task_id="t-1", n=2)
    done = TaskState(task_id="t-1", status=TaskStatus.SUCCEEDED, image_count=2)
    looks = [Generation.objects.get(pk=generation.pk) for _ in range(2)]  # both read RUNNING
    for look in looks:
        lifecycle.task_seen(look, done, PollSchedule())
    assert UsageEntry.objects.get().images == 2


def test_a_failed_task_bills_nothing(dashscope, user):
    generation = make_generation(user, prompt="something forbidden at the seaside")

    run_dispatcher()

    assert Generation.objects.get(pk=generation.pk).status == Status.FAILED
    assert not UsageEntry.objects.exists()


def test_a_new_price_bills_what_comes_after_and_rewrites_nothing(dashscope, user, settings):
    make_generation(user)
    run_dispatcher()
    settings.DASHSCOPE_PRICES = {"wanx2.1-t2i-turbo": Decimal("0.20")}
    make_generation(user, n=2)
    run_dispatcher()

    entries = UsageEntry.objects.order_by("billed_at")
    assert [(e.images, e.unit_price, e.cost) for e in entries] == [
        (1, TURBO_PRICE, TURBO_PRICE),
        (2, Decimal("0.20"), Decimal("0.40")),
    ]


def test_the_ledger_outlives_the_generation(dashscope, user):
    generation = make_generation(user)
    run_dispatcher()
    generation.delete()  # as the trash's purge does after its days

    entry = UsageEntry.objects.get()
    assert entry.generation is None and entry.user == user and entry.cost == TURBO_PRICE
