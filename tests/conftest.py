import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gallery.dashscope.simulator import SimulatorConfig, SimulatorServer

TEST_KEY = "sk-test-0123456789abcdef"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this run's own, so two test runs at once never share one file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database["TEST"]["NAME"] = str(settings.VAR_DIR / f"test-{os.getpid()}.sqlite3")


@pytest.fixture
def simulator():
    """A DashScope simulator on a free loopback port, with quick task timings."""
    server = SimulatorServer(config=SimulatorConfig(pending_seconds=0.2, running_seconds=0.5))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dashscope(simulator, settings, tmp_path, monkeypatch):
    """Point the app at the simulator, store files in a temporary folder, run q2 jobs inline."""
    from django_q.conf import Conf

    settings.DASHSCOPE_BASE_URL = simulator.base_url
    settings.DASHSCOPE_API_KEY = TEST_KEY
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(Conf, "SYNC", True)
    return simulator


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="wonderland-2026")


@pytest.fixture
def logged_in(client, user):
    """The test client, logged in as alice."""
    client.force_login(user)
    return client


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password="builder-2026")


def make_generation(owner, **fields):
    from gallery.models import Generation

    defaults = {
        "model": "wanx2.1-t2i-turbo",
        "prompt": "a lighthouse at dawn",
        "width": 1024,
        "height": 1024,
        "n": 1,
        "seed": 42,
    }
    return Generation.objects.create(owner=owner, **{**defaults, **fields})


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class QCluster:
    """A real `manage.py qcluster` process that a test can kill and start again."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.env = env
        self.log = log_path.open("ab")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the whole cluster (its workers too) can be killed
        )

    def kill(self) -> None:
        """SIGKILL the cluster and every worker: a crash, not a shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def qcluster(transactional_db, simulator, settings, media_root, tmp_path):
    """A running qcluster on the test database, talking to the simulator."""
    from django.db import connection

    settings.DASHSCOPE_BASE_URL = simulator.base_url
    settings.DASHSCOPE_API_KEY = TEST_KEY
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(media_root),
        "DASHSCOPE_BASE_URL": simulator.base_url,
        "DASHSCOPE_API_KEY": TEST_KEY,
        "DASHSCOPE_RESULT_HOSTS": "127.0.0.1",
        "DISPATCHER_LEASE_SECONDS": "3",  # so a restarted cluster takes over quickly
        "Q_SYNC": "false",
    }
    cluster = QCluster(env, tmp_path / "qcluster.log")
    cluster.start()
    yield cluster
    cluster.kill()
    cluster.log.close()


@pytest.fixture
def team(user, other_user, django_user_model):
    """A team owned by alice, with bob as member and carol as viewer."""
    from gallery.models import Role, Team

    team = Team.create("Lighthouse keepers", owner=user)
    team.memberships.create(user=other_user, role=Role.MEMBER)
    carol = django_user_model.objects.create_user("carol", password="viewer-2026")
    team.memberships.create(user=carol, role=Role.VIEWER)
    team.viewer = carol
    return team


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("mallory", password="outsider-2026")
