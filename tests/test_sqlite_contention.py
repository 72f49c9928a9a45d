"""SQLite shared by a busy worker and a busy web process never says "database is locked".

A real qcluster stores a batch of generations while web requests from several threads create
more, star, comment, mark and poll cards, all writing to the same SQLite file at once.
"""

import threading
import time
from itertools import count

import pytest
from django.db import connection
from django.test import Client
from django_q.models import Failure

from gallery.models import Comment, Favourite, Generation

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
CREATED_PER_AUTHOR = 6


def create(client: Client, prompt: str, team_id: int) -> None:
    response = client.post(
        "/",
        {
            "model": "wanx2.1-t2i-turbo",
            "prompt": prompt,
            "size": "1024*1024",
            "n": 2,
            "team": team_id,
        },
    )
    assert response.status_code == 302, response.content[:500]


def test_web_and_worker_writing_at_once_never_meet_a_locked_database(
    qcluster, team, user, other_user
):
    failures: list[BaseException] = []
    requests = count()
    settled = threading.Event()

    def as_user(person, work, name: str) -> threading.Thread:
        def run() -> None:
            client = Client(raise_request_exception=True)  # a server error fails the thread
            client.force_login(person)
            try:
                work(client)
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                failures.append(error)
            finally:
                connection.close()  # this thread's own connection

        # A daemon: one that never ends fails the test below, not the whole run at its exit.
        return threading.Thread(target=run, name=name, daemon=True)

    def author(person):
        def work(client: Client) -> None:
            for i in range(CREATED_PER_AUTHOR):
                create(client, f"{person.username} busy harbour {i}", team.pk)
                next(requests)
                time.sleep(0.3)

        return work

    def reviewer(person, worker_id: int):
        def work(client: Client) -> None:
            i = 0
            while not settled.is_set():
                ids = list(Generation.objects.filter(team=team).values_list("pk", flat=True))
                for pk in ids[i % max(len(ids), 1) :][:3]:
                    steps = [
                        client.post(f"/g/{pk}/star/", {"starred": str((i + worker_id) % 2)}),
                        client.post(f"/g/{pk}/comments/", {"body": f"note {worker_id}-{i}"}),
                        client.post(f"/g/{pk}/mark/", {"mark": "picked"}),
                        client.get(f"/g/{pk}/card/"),
                    ]
                    for response in steps:
                        assert response.status_code in (200, 302), response.status_code
                        next(requests)
                i += 1

        return work

    threads = [
        as_user(user, author(user), "author alice"),
        as_user(other_user, author(other_user), "author bob"),
        as_user(user, reviewer(user, 0), "reviewer alice"),
        as_user(other_user, reviewer(other_user, 1), "reviewer bob 1"),
        as_user(other_user, reviewer(other_user, 2), "reviewer bob 2"),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while (
        Generation.objects.count() < 2 * CREATED_PER_AUTHOR or Generation.objects.active().exists()
    ) and not failures:
        assert time.monotonic() < deadline, list(Generation.objects.values("status"))
        time.sleep(0.2)
    settled.set()
    ended_by = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.0, ended_by - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running 30 s after the work settled: {stuck}"

    assert not failures, failures  # every request succeeded, none met OperationalError
    assert Generation.objects.filter(status=Status.SUCCEEDED).count() == 2 * CREATED_PER_AUTHOR
    assert Comment.objects.exists() and Favourite.objects.exists()
    assert not Failure.objects.exists(), [f.result for f in Failure.objects.all()]
    log = qcluster.log()
    for sign in ("database is locked", "OperationalError", "Traceback"):
        assert sign not in log, log
    print(f"[sqlite] {next(requests)} web requests alongside {2 * CREATED_PER_AUTHOR} generations")
