import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from gallery.dashscope.simulator import SimulatorConfig, SimulatorServer

from . import harness
from .factories import PASSWORD, create_user, make_generation  # noqa: F401 (make_generation: imported here)
from .harness import QCluster, WebServer, run_manage  # noqa: F401 (run_manage: imported from here)

TEST_KEY = "sk-test-0123456789abcdef"
# A test that uses one of these, itself or through another fixture (`page`, `new_context`),
# starts a real browser or qcluster: it is `slow`, left out of `make test-fast`. Modules that
# start processes their own way say `pytestmark = slow`.
SLOW_FIXTURES = frozenset({"browser", "qcluster"})
slow = pytest.mark.slow


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(item.fixturenames):
            item.add_marker(slow)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this test process's own, so two runs at once never share one."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database["TEST"]["NAME"] = str(settings.VAR_DIR / f"test-{os.getpid()}.sqlite3")
    else:
        database.setdefault("TEST", {})["NAME"] = f"test_{database['NAME']}_{os.getpid()}"


@pytest.fixture(autouse=True)
def test_settings(request, settings):
    """The settings every test runs with, set here once.

    Passwords are hashed with MD5: Django's default hasher takes about half a second a login on
    purpose. Not for tests that start real processes (slow, without a browser): gunicorn takes
    its settings from the environment and checks passwords with the real hashers, so the users
    those tests log in there must be hashed with them."""
    if request.node.get_closest_marker("slow") and "browser" not in request.fixturenames:
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test's client builds its own middleware; WhiteNoise would read all ~700 static
    # files each time (50 ms a test). Autorefresh finds a file when it is asked for instead.
    settings.WHITENOISE_AUTOREFRESH = True
    # The simulator lists a task as soon as it has it: no need to wait DashScope's seconds.
    settings.DASHSCOPE_LISTING_DELAY_SECONDS = settings.DASHSCOPE_LISTING_RECHECK_SECONDS = 0.5
    # The cache outlives a test, and with Redis it is shared with other processes (the servers
    # some tests start keep it as in production): a card shows its own test's history alone.
    settings.USUAL_TIME_CACHED_SECONDS = 0


@pytest.fixture(scope="session", autouse=True)
def own_queue():
    """A q2 queue of this test process's own: parallel test processes may share one Redis."""
    from django_q.conf import Conf

    name = f"wanxweb-test-{os.getpid()}"
    os.environ["QUEUE_NAME"] = Conf.PREFIX = Conf.CLUSTER_NAME = name


@pytest.fixture
def take_queued_jobs():
    """Takes the jobs waiting in this test's q2 queue, whichever the broker (ORM or Redis);
    the queue starts empty, as Redis keeps no transaction a test could roll back."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker()
    broker.purge_queue()

    def take() -> list[dict]:
        jobs = []
        while broker.queue_size():  # not dequeue() alone: Redis's waits a second when empty
            jobs += [SignedPackage.loads(payload) for _, payload in broker.dequeue()]
        return jobs

    return take


@pytest.fixture
def simulator():
    """A DashScope simulator on a free loopback port, with quick task timings."""
    server = SimulatorServer(config=SimulatorConfig(pending_seconds=0.2, running_seconds=0.5))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dashscope(simulator, settings, media_root, monkeypatch):
    """Point the app at the simulator, store files in a temporary folder, run q2 jobs inline."""
    from django_q.conf import Conf

    settings.DASHSCOPE_BASE_URL = simulator.base_url
    settings.DASHSCOPE_API_KEY = TEST_KEY
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(Conf, "SYNC", True)
    return simulator


@pytest.fixture
def user(db):
    return create_user("alice", PASSWORD)


@pytest.fixture
def logged_in(client, user):
    """The test client, logged in as alice."""
    client.force_login(user)
    return client


@pytest.fixture
def other_user(db):
    return create_user("bob", "builder-2026")


def run_dispatcher(seconds: float = 15.0) -> None:
    """One dispatcher loop in this process, until nothing is active or `seconds` pass; no q2
    job it ran inline may have failed. The loop's own continuation is not run: inline, it
    would go on for another minute each time."""
    from unittest import mock

    from django_q.models import Failure

    from gallery import dispatcher

    with mock.patch.object(dispatcher, "async_task"):
        dispatcher.Dispatcher().run(max_seconds=seconds)
    assert not Failure.objects.exists(), [f.result for f in Failure.objects.all()]


@pytest.fixture
def allow_loopback(settings):
    """Images may be downloaded from loopback (a test's own server) and DashScope's hosts."""
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1", *settings.DASHSCOPE_BUCKET_HOSTS]


def finished(client, task_id: str):
    """Wait until DashScope has finished the task (a `DashScopeClient` call away); its final
    TaskStatus."""
    deadline = time.monotonic() + 30
    while (status := client.fetch(task_id).status).is_waiting:
        assert time.monotonic() < deadline, f"task {task_id} never finished"
        time.sleep(0.05)
    return status


@pytest.fixture
def media_root(settings, tmp_path):
    """Where this test's images go: a temporary folder, or, when the run uses object storage
    (tests/scale_out.py), a folder of the bucket of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
        default = {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": f"{os.getpid()}-{tmp_path.name}"},
        }
        settings.STORAGES = {**settings.STORAGES, "default": default}
    return settings.MEDIA_ROOT


def served_bytes(response) -> bytes:
    """The image an image view answered with: the file, or what its presigned URL holds."""
    if response.status_code == 302:  # object storage
        fetched = requests.get(response["Location"], timeout=10)
        fetched.raise_for_status()
        return fetched.content
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # read to the end, the test client closes it


def embedded_environment(**variables: str) -> dict[str, str]:
    """This process's environment without a database, broker or storage of its own (so the
    embedded defaults, whichever configuration the run uses), with `variables` added."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT") and not key.startswith("AWS_")
    }
    return {**kept, **variables}


def process_env(simulator, media_root: Path, **overrides: str) -> dict:
    """The environment of a qcluster or gunicorn this test starts: this test's database, queue,
    storage and simulator, and quick take-overs of the work of a process a test killed."""
    from django.conf import settings

    return harness.process_env(
        database_url=shared_database_url(),
        media_root=media_root,
        dashscope_url=simulator.base_url,
        api_key=TEST_KEY,
        DISPATCHER_LEASE_SECONDS="3",
        STORE_DEADLINE_SECONDS="15",  # small images from loopback take well under a second
        Q_SYNC="false",
        AWS_LOCATION=settings.STORAGES["default"].get("OPTIONS", {}).get("location", ""),
        **overrides,
    )


def shared_database_url() -> str:
    """DATABASE_URL for the test database (the run's own URL names the database it replaces)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


@pytest.fixture
def qcluster(transactional_db, simulator, settings, media_root, tmp_path):
    """A running qcluster on the test database, talking to the simulator."""
    settings.DASHSCOPE_BASE_URL = simulator.base_url
    settings.DASHSCOPE_API_KEY = TEST_KEY
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    cluster = QCluster(process_env(simulator, media_root), tmp_path / "qcluster.log")
    cluster.start()
    yield cluster
    cluster.kill()


@pytest.fixture
def web(qcluster, tmp_path):
    """gunicorn beside the `qcluster`, with its environment: the same database, storage and
    simulator."""
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        pytest.fail("no static files: run `manage.py collectstatic` first", pytrace=False)
    server = WebServer({**qcluster.env, "HTTPS": "false"}, tmp_path / "gunicorn.log")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def team(user, other_user):
    """A team owned by alice, with bob as member and carol as viewer."""
    from gallery.models import Role, Team

    team = Team.create("Lighthouse keepers", owner=user)
    team.memberships.create(user=other_user, role=Role.MEMBER)
    carol = create_user("carol", "viewer-2026")
    team.memberships.create(user=carol, role=Role.VIEWER)
    team.viewer = carol
    return team


@pytest.fixture
def outsider(db):
    return create_user("mallory", "outsider-2026")
