"""A worker SIGKILLed at random moments: nothing lost, nothing paid twice.

The suite runs a short version; `make stress` runs the one the guarantees are quoted from
(CRASH_GENERATIONS=50 CRASH_KILLS=20).
"""

import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from gallery import tasks
from gallery.models import Generation

from .conftest import make_generation, slow
from .harness import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), slow]
Status = Generation.Status
GENERATIONS = int(os.environ.get("CRASH_GENERATIONS", "12"))
KILLS = int(os.environ.get("CRASH_KILLS", "6"))


# Both protocols: on the new one a lost answer is found without the prompt in the results.
@pytest.mark.parametrize("model", ["wanx2.1-t2i-turbo", "wan2.7-image"])
def test_killing_the_worker_at_random_moments_loses_nothing_and_pays_once(
    qcluster, simulator, user, model
):
    # A short client timeout, so a submit cut off by a kill is looked up within seconds.
    qcluster.env["DASHSCOPE_TIMEOUT"] = "2"
    qcluster.kill()
    started = timezone.now()
    qcluster.start()
    simulator.config.pending_seconds, simulator.config.running_seconds = 0.3, 1.0
    # Some answers take a while, so that kills also land between a POST and its answer.
    simulator.config.slow_rate, simulator.config.slow_seconds = 0.3, 0.8
    generations = [
        make_generation(user, model=model, prompt=f"crash {i}", n=2) for i in range(GENERATIONS)
    ]
    tasks.kick()
    rng = random.Random(2026)
    hits = 0  # kills that cut off a submit: sent (or about to be), its answer not saved
    for kill in range(KILLS):
        if kill % 2:  # at a random moment
            time.sleep(rng.uniform(1.0, 4.0))
        else:  # at the worst moment: while a POST is on its way (none left late in the run)
            wait_for_a_submit_in_flight(since=started, for_seconds=rng.uniform(0.0, 0.5))
        qcluster.kill()
        hits += submits_in_flight(since=started).exists()
        started = timezone.now()
        qcluster.start()
        tasks.kick()  # what the minute schedule does in production

    # A store job killed mid-way is taken for dead after STORE_DEADLINE_SECONDS, then run again.
    store_deadline = int(qcluster.env["STORE_DEADLINE_SECONDS"])
    wait_until(
        lambda: tasks.kick() or not Generation.objects.active().exists(),
        60 + 3 * GENERATIONS + store_deadline,
        lambda: Counter(Generation.objects.values_list("status", flat=True)),
        every=1,
    )

    # Every generation was sent to DashScope exactly once: none lost, none paid twice.
    submitted = Counter(task["prompt"] for task in simulator.stats()["tasks"].values())
    assert submitted == Counter(g.prompt for g in generations)
    finished = Generation.objects.filter(pk__in=[g.pk for g in generations])
    assert Counter(finished.values_list("status", flat=True)) == {Status.SUCCEEDED: GENERATIONS}
    for generation in finished:
        images = list(generation.images.all())
        assert len(images) == 2
        for image in images:  # every stored file is whole
            with image.original.open("rb") as f, Image.open(f) as picture:
                picture.load()
            with image.thumbnail.open("rb") as f, Image.open(f) as picture:
                picture.load()

    # The worst moment was met, not only aimed at.
    print(f"[crash] {hits} of {KILLS} kills cut off a submit in flight")
    assert hits >= 1, "no kill cut off a submit in flight"


def submits_in_flight(since: datetime):
    """Records the cluster started at `since` claimed for a submit whose answer it has not saved
    (not those an earlier cluster left SUBMITTING, for the sweep to look up)."""
    return Generation.objects.filter(status=Status.SUBMITTING, submitted_at__gte=since, task_id="")


def wait_for_a_submit_in_flight(since: datetime, for_seconds: float) -> None:
    """Until a submit of the cluster started at `since` has been on its way `for_seconds`, for
    up to 10 s: late in the run no generation may be left to send."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent_before = timezone.now() - timedelta(seconds=for_seconds)
        if submits_in_flight(since).filter(submitted_at__lte=sent_before).exists():
            return
        time.sleep(0.01)
