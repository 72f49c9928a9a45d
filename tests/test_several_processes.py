"""Two web processes and two qclusters sharing one database, queue and storage cooperate.

They share this run's database, broker and storage: PostgreSQL, Redis and a bucket in the
scale-out run of `make test`, SQLite, the ORM broker and a folder in the default one. Five people
create 50 generations through both web processes; one qcluster is SIGKILLed mid-run, and the
other finishes the work. Each generation is sent to DashScope once, its images are stored, and
only its owner sees it.
"""

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import default_storage

from gallery import tasks
from gallery.models import Generation

from .conftest import create_user, process_env, slow
from .harness import TIMEOUT, QCluster, WebServer, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), slow]
Status = Generation.Status
PEOPLE = 5
EACH = 10
PASSWORD = "several-processes-2026"


@pytest.fixture
def processes(transactional_db, simulator, media_root, tmp_path):
    """Two qclusters and two gunicorns, each with the environment an operator would give it."""
    env = process_env(simulator, media_root, DASHSCOPE_CONCURRENCY="6", HTTPS="false")
    clusters = [QCluster(env, tmp_path / f"qcluster-{i}.log") for i in range(2)]
    webs = [WebServer(env, tmp_path / f"gunicorn-{i}.log") for i in range(2)]
    for process in clusters + webs:
        process.start()
    yield clusters, webs
    for process in clusters + webs:
        process.kill()


def test_two_of_each_share_fifty_generations_and_survive_a_killed_worker(processes, simulator):
    clusters, webs = processes
    simulator.config.concurrency_limit = 6
    simulator.config.pending_seconds, simulator.config.running_seconds = 0.2, 0.8
    people = [create_user(f"person{i}", PASSWORD) for i in range(PEOPLE)]

    def create_all(i: int) -> None:  # each person alternates between the two web processes
        browsers = [web.log_in(people[i].username, PASSWORD) for web in webs]
        for j in range(EACH):
            webs[j % 2].create(browsers[j % 2], f"person {i} picture {j}")

    with ThreadPoolExecutor(PEOPLE) as pool:
        list(pool.map(create_all, range(PEOPLE)))
    assert Generation.objects.count() == PEOPLE * EACH

    # Store jobs go to whichever cluster is free: both have stored images before one dies.
    stored = "Processed 'gallery.tasks.store_results'"
    wait_until(
        lambda: (
            Generation.objects.filter(status=Status.SUCCEEDED).count() >= 15
            and all(stored in cluster.log() for cluster in clusters)
        ),
        60,
        statuses,
    )
    clusters[0].kill()  # mid-run: whatever it was doing is lost with it
    assert Generation.objects.active().exists()
    # Wait as the minute schedule would kick the surviving cluster, but every second.
    wait_until(
        lambda: tasks.kick() or not Generation.objects.active().exists(), 120, statuses, every=1
    )

    generations = Generation.objects.all()
    assert Counter(generations.values_list("status", flat=True)) == {
        Status.SUCCEEDED: PEOPLE * EACH
    }
    sent = Counter(task["prompt"] for task in simulator.stats()["tasks"].values())
    assert sent == Counter(generations.values_list("prompt", flat=True))  # once each
    for generation in generations:
        image = generation.images.get()
        assert default_storage.exists(image.original.name)
        assert default_storage.exists(image.thumbnail.name)

    # Everyone sees their own ten cards, on either web process, and nobody else's.
    browsers = [webs[i % 2].log_in(person.username, PASSWORD) for i, person in enumerate(people)]
    for i, person in enumerate(people):
        web, browser = webs[(i + 1) % 2], browsers[i]
        home = browser.get(f"{web.url}/", timeout=TIMEOUT).text
        assert set(re.findall(r"person (\d) picture", home)) == {str(i)}
        for generation in generations:
            card = browser.get(f"{web.url}/g/{generation.pk}/card/", timeout=TIMEOUT)
            assert card.status_code == (200 if generation.owner_id == person.pk else 404)


def statuses() -> Counter:
    return Counter(Generation.objects.values_list("status", flat=True))
