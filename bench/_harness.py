"""What the benchmarks share: a throwaway deployment (web, worker, simulator on loopback, one
fresh SQLite database unless told otherwise) and a logged-in browser session that talks to it
the way htmx does."""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from gallery.dashscope.simulator import SimulatorServer
from tests.harness import (
    ROOT,
    Process,
    QCluster,
    Simulator,
    WebServer,
    free_port,
    process_env,
    run_manage,
)

KEY = "sk-bench"
PASSWORD = "bench-password-2026"
MODEL = "wanx2.1-t2i-turbo"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup_django(workdir: Path, **environment: str) -> None:
    """Django in this process, on a fresh SQLite database in `workdir` (the benches that time
    views through the test client), with `environment` set too."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="wanxweb.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        VAR_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
        **environment,
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        sys.exit("no static files: run `.venv/bin/python manage.py collectstatic` first")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


def procfile_command(name: str, **variables: str) -> list[str]:
    """The Procfile's command for `name`, with $VARIABLES filled in and run by this Python,
    so a benchmark runs the processes exactly as `make run` does."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            command = line.partition(":")[2]
            for variable, value in variables.items():
                command = command.replace(f"${variable}", value)
            words = shlex.split(command)
            if words[0] == "python":
                return [sys.executable, *words[1:]]
            return [sys.executable, "-m", *words]  # gunicorn
    raise LookupError(f"no {name!r} process in the Procfile")


def with_option(command: list[str], option: str, value: str) -> list[str]:
    """`command` with `option`'s value replaced (or the option added)."""
    if option in command:
        at = command.index(option)
        return [*command[: at + 1], value, *command[at + 2 :]]
    return [*command, option, value]


class Stack:
    """Web and worker as real subprocesses (tests.harness's) on one temporary VAR_DIR and SQLite
    database, talking to the DashScope simulator at `dashscope_url` (which the caller starts).
    `env` adds to or replaces their settings, e.g. another DATABASE_URL; this process gets them
    too. Each process's log is `name`.log in `workdir`."""

    def __init__(
        self,
        workdir: Path,
        dashscope_url: str,
        web_port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.web_port = web_port or free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.env = process_env(
            database_url=f"sqlite:///{workdir / 'bench.sqlite3'}",
            media_root=workdir / "media",
            dashscope_url=dashscope_url,
            api_key=KEY,
            VAR_DIR=str(workdir),
            LOG_LEVEL="WARNING",
            **(env or {}),
        )
        os.environ.update(self.env)
        self.processes: dict[str, Process] = {}
        self.logs = workdir

    def manage(self, *args: str) -> None:
        done = run_manage(*args, env=self.env)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def setup_django(self) -> None:
        """Migrate the fresh database and set Django up in this process too, so the benchmark
        can create users and read the records it made. Collects the static files first, as
        `make run` does: pages cannot render without their manifest."""
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("migrate", "--noinput", "-v0")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wanxweb.settings")
        import django

        django.setup()

    def start(self, name: str, process: Process) -> Process:
        """Start `process` (logging to `name`.log) and return it once it is ready."""
        self.processes[name] = process
        process.start()
        return process

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def start_simulator(self, command: list[str], port: int) -> Simulator:
        """The simulator as a process of its own, started with `command` on `port`."""
        simulator = Simulator(command, port, self.env, self.log_path("simulator"))
        return self.start("simulator", simulator)

    def start_worker(self, name: str = "qcluster", **env: str) -> QCluster:
        # At INFO, as q2 says it is running only there (the harness waits for that line).
        cluster_env = {**self.env, "LOG_LEVEL": "INFO", **env}
        return self.start(name, QCluster(cluster_env, self.log_path(name)))

    def start_web(self, command: list[str] | None = None, **env: str) -> WebServer:
        """gunicorn on this stack's port (by default with 2 workers of 8 threads), once it
        answers."""
        if command is None:
            command = [sys.executable, "-m", "gunicorn", "wanxweb.wsgi", "--workers", "2"]
            command += ["--threads", "8", "--bind", f"127.0.0.1:{self.web_port}"]
        web = WebServer({**self.env, **env}, self.log_path("web"), command, port=self.web_port)
        return self.start("web", web)

    def stop(self, name: str) -> None:
        self.processes.pop(name).stop()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):  # the last started depends on the first
            self.stop(name)


@contextmanager
def simulated_stack(config) -> Iterator[tuple[SimulatorServer, Stack]]:
    """The DashScope simulator with `config` (a SimulatorConfig), and a Stack talking to it on
    a fresh VAR_DIR with Django set up for this process; both stopped after."""
    simulator = SimulatorServer(config=config)
    simulator.start()
    with tempfile.TemporaryDirectory(prefix="wanxweb-bench-") as workdir:
        stack = Stack(Path(workdir), simulator.base_url)
        try:
            stack.setup_django()
            yield simulator, stack
        finally:
            stack.stop_all()
            simulator.stop()


def login_form(session: requests.Session, username: str) -> dict[str, str]:
    """What the login form posts, once its page has set the CSRF cookie."""
    return {
        "username": username,
        "password": PASSWORD,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }


def logged_in_session(base_url: str, username: str) -> requests.Session:
    """Log in through the login form: its CSRF token, then the session cookie."""
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/")
    response = session.post(
        f"{base_url}/accounts/login/", data=login_form(session, username), allow_redirects=False
    )
    assert response.status_code == 302, "login failed"
    return session


def htmx_headers(session: requests.Session, base_url: str, target: str) -> dict[str, str]:
    """What htmx sends for a request from the element with id `target` on the home page: the
    body's hx-headers give every request the CSRF token."""
    return {
        "HX-Request": "true",
        "HX-Current-URL": f"{base_url}/",
        "HX-Target": target,
        "HX-Trigger": target,
        "X-CSRFToken": session.cookies["csrftoken"],
    }


def create(
    session: requests.Session,
    base_url: str,
    prompt: str,
    model: str = MODEL,
    size: str = "1024*1024",
) -> int:
    """Submit the prompt form the way htmx does; return the new generation's id."""
    response = session.post(
        f"{base_url}/",
        data={"model": model, "prompt": prompt, "size": size, "n": 1},
        headers=htmx_headers(session, base_url, "prompt-form"),
    )
    response.raise_for_status()
    return int(re.search(r'id="generation-(\d+)"', response.text).group(1))
