"""A worker SIGKILLed at random moments: nothing lost, nothing paid twice."""

import random
import time
from collections import Counter

import pytest
from PIL import Image

from gallery import tasks
from gallery.models import Generation

from .conftest import make_generation

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status


def test_killing_the_worker_at_random_moments_loses_nothing_and_pays_once(
    qcluster, simulator, user
):
    simulator.config.pending_seconds, simulator.config.running_seconds = 0.3, 1.0
    generations = [make_generation(user, prompt=f"crash {i}", n=2) for i in range(8)]
    tasks.kick()
    rng = random.Random(2026)
    for _ in range(5):
        time.sleep(rng.uniform(0.3, 2.0))
        qcluster.kill()
        qcluster.start()
        tasks.kick()  # what the minute schedule does in production

    deadline = time.monotonic() + 120
    while Generation.objects.active().exists():
        assert time.monotonic() < deadline, list(Generation.objects.values("status"))
        time.sleep(1)
        tasks.kick()

    # Nobody paid twice: DashScope received each prompt at most once.
    submitted = Counter(task["prompt"] for task in simulator.stats()["tasks"].values())
    assert max(submitted.values()) == 1
    for generation in Generation.objects.filter(pk__in=[g.pk for g in generations]):
        if generation.status == Status.SUCCEEDED:
            images = list(generation.images.all())
            assert len(images) == 2
            for image in images:  # every stored file is whole
                with image.original.open("rb") as f, Image.open(f) as picture:
                    picture.load()
        else:
            # The only way to lose one: killed between DashScope's answer and saving it.
            assert (generation.status, generation.error_code) == (
                Status.FAILED,
                "SubmitOutcomeUnknown",
            )
    assert Generation.objects.filter(status=Status.SUCCEEDED).count() >= 6
