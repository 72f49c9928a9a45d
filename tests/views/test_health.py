from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django_q.models import Schedule

from gallery.dispatcher import DISPATCHER_SCHEDULE, LEASE_NAME
from gallery.models import Generation, Lease, Outage

from ..factories import make_generation

pytestmark = pytest.mark.django_db
Status = Generation.Status


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def a_qcluster_runs():
    """What every running qcluster's scheduler does: move the minute schedule's next run on."""
    Schedule.objects.filter(name=DISPATCHER_SCHEDULE).update(next_run=ago(-30))


def test_it_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_it_answers_503_when_the_database_does_not(client, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


@pytest.mark.parametrize("url", ["/healthz", "/healthz/worker"])
def test_it_needs_no_login_sets_no_cookie_and_is_never_cached(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/healthz", "/healthz/worker"])
def test_it_is_not_redirected_to_https(client, settings, url):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(url).status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_an_idle_worker_is_healthy(client):
    response = client.get("/healthz/worker")

    assert response.status_code == 200
    assert response.json() == {
        "dispatcher_running": False,
        "active": 0,
        "oldest_waiting_seconds": 0,
        "scheduler_behind_seconds": 0,
        "stall_seconds": 180,
        "stalled": False,
        "dashscope": {"answering": True, "not_answering_since": None, "cause": ""},
    }


def test_it_says_when_a_dispatcher_loop_holds_the_lease(client):
    Lease.acquire(LEASE_NAME, "worker-1", 30)

    assert client.get("/healthz/worker").json()["dispatcher_running"] is True


def test_a_busy_worker_keeping_up_is_healthy(client, user):
    # Both slots of the model taken by long tasks checked on time; the queue behind them is old.
    for _ in range(2):
        make_generation(user, status=Status.RUNNING, created_at=ago(900), due_at=ago(-2))
    make_generation(user, status=Status.QUEUED, created_at=ago(600))
    make_generation(user, status=Status.DOWNLOADING, created_at=ago(900), due_at=ago(-90))
    # Throttled, sent again 5 s ago: queued for 10 minutes, but only just sendable.
    make_generation(user, model="wan2.2-t2i-flash", created_at=ago(600), due_at=ago(5))
    make_generation(user, status=Status.PENDING, due_at=ago(3))  # a query on its way
    make_generation(user, status=Status.SUCCEEDED, created_at=ago(3600))

    response = client.get("/healthz/worker")

    assert response.status_code == 200
    assert response.json()["active"] == 6
    assert 5 <= response.json()["oldest_waiting_seconds"] < 10


@pytest.mark.parametrize("status", [Status.PENDING, Status.RUNNING, Status.SUBMITTING])
def test_a_task_the_dispatcher_is_late_for_makes_it_503(client, user, status):
    make_generation(user, status=status, created_at=ago(400), due_at=ago(200))

    response = client.get("/healthz/worker")

    assert response.status_code == 503
    assert response.json()["stalled"] is True
    assert response.json()["oldest_waiting_seconds"] >= 200


def test_a_store_job_nobody_restarted_makes_it_503(client, user):
    make_generation(user, status=Status.DOWNLOADING, due_at=ago(200))

    assert client.get("/healthz/worker").status_code == 503


def test_queued_work_with_a_free_slot_that_nobody_sends_makes_it_503(client, user):
    make_generation(user, status=Status.RUNNING, model="wan2.2-t2i-flash", due_at=ago(-2))
    make_generation(user, status=Status.QUEUED, created_at=ago(200))

    response = client.get("/healthz/worker")

    assert response.status_code == 503
    assert response.json()["oldest_waiting_seconds"] >= 200


def test_the_threshold_comes_from_the_settings(client, settings, user):
    make_generation(user, status=Status.RUNNING, due_at=ago(100))
    assert client.get("/healthz/worker").status_code == 200

    settings.WORKER_STALL_SECONDS = 60
    response = client.get("/healthz/worker")

    assert response.status_code == 503
    assert response.json()["stall_seconds"] == 60


def test_no_qcluster_running_makes_it_503_even_with_no_work(client):
    Schedule.objects.filter(name=DISPATCHER_SCHEDULE).update(next_run=ago(200))

    response = client.get("/healthz/worker")

    assert response.status_code == 503
    assert response.json()["scheduler_behind_seconds"] >= 200
    assert response.json()["active"] == 0


def test_a_scheduler_a_minute_behind_is_healthy(client):
    Schedule.objects.filter(name=DISPATCHER_SCHEDULE).update(next_run=ago(60))
    assert client.get("/healthz/worker").status_code == 200


def test_it_takes_four_queries_however_much_work_there_is(client, user, django_assert_num_queries):
    for status in Generation.ACTIVE * 5:
        make_generation(user, status=status, due_at=ago(1))

    with django_assert_num_queries(4):
        assert client.get("/healthz/worker").json()["active"] == 25


def test_it_says_whether_dashscope_answers_in_a_field_of_its_own(client):
    assert client.get("/healthz/worker").json()["dashscope"] == {
        "answering": True,
        "not_answering_since": None,
        "cause": "",
    }
    since = ago(300)
    Outage.objects.create(
        started_at=since, cause="ConnectionError: Could not connect to DashScope."
    )

    response = client.get("/healthz/worker")

    assert response.status_code == 200
    assert response.json()["dashscope"] == {
        "answering": False,
        "not_answering_since": since.isoformat(),
        "cause": "ConnectionError: Could not connect to DashScope.",
    }


def test_records_kept_waiting_by_a_dashscope_outage_are_no_fault_of_the_worker(
    client, user, settings
):
    make_generation(user, created_at=ago(settings.WORKER_STALL_SECONDS + 60))
    assert client.get("/healthz/worker").status_code == 503  # no outage: the worker is stuck

    Outage.objects.create(
        started_at=ago(600), cause="ReadTimeout: DashScope did not answer in time."
    )

    response = client.get("/healthz/worker")
    assert response.status_code == 200
    assert response.json()["stalled"] is False
