"""A worker SIGKILLed at random moments: nothing lost, nothing paid twice.

The suite runs a short version; `make stress` runs the one the guarantees are quoted from
(CRASH_GENERATIONS=50 CRASH_KILLS=20).
"""

import os
import random
import time
from collections import Counter

import pytest
from PIL import Image

from gallery import tasks
from gallery.models import Generation

from .conftest import make_generation, slow

pytestmark = [pytest.mark.django_db(transaction=True), slow]
Status = Generation.Status
GENERATIONS = int(os.environ.get("CRASH_GENERATIONS", "12"))
KILLS = int(os.environ.get("CRASH_KILLS", "6"))


def test_killing_the_worker_at_random_moments_loses_nothing_and_pays_once(
    qcluster, simulator, user
):
    # A short client timeout, so a submit cut off by a kill is looked up within seconds.
    qcluster.env["DASHSCOPE_TIMEOUT"] = "2"
    qcluster.kill()
    qcluster.start()
    simulator.config.pending_seconds, simulator.config.running_seconds = 0.3, 1.0
    # Some answers take a while, so that kills also land between a POST and its answer.
    simulator.config.slow_rate, simulator.config.slow_seconds = 0.3, 0.8
    generations = [make_generation(user, prompt=f"crash {i}", n=2) for i in range(GENERATIONS)]
    tasks.kick()
    rng = random.Random(2026)
    for kill in range(KILLS):
        if kill % 2:  # at a random moment
            time.sleep(rng.uniform(1.0, 4.0))
        else:  # at the worst moment: while a POST may be on its way
            wait_for_a_submit_in_flight(timeout=10)
            time.sleep(rng.uniform(0.0, 0.5))
        qcluster.kill()
        qcluster.start()
        tasks.kick()  # what the minute schedule does in production

    # A store job killed mid-way is taken for dead after STORE_DEADLINE_SECONDS, then run again.
    store_deadline = int(qcluster.env["STORE_DEADLINE_SECONDS"])
    deadline = time.monotonic() + 60 + 3 * GENERATIONS + store_deadline
    while Generation.objects.active().exists():
        assert time.monotonic() < deadline, Counter(Generation.objects.values_list("status"))
        time.sleep(1)
        tasks.kick()

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


def wait_for_a_submit_in_flight(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Generation.objects.filter(status=Status.SUBMITTING).exists():
            return
        time.sleep(0.02)
