"""The processes tests and benchmarks start, each started one way: the DashScope simulator,
qcluster and gunicorn, in a session of their own (so that a kill takes their children with
them), their output appended to a log file, and ready once they answer, never after a pause.

No Django here: the benchmarks import this before they set Django up.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds for a request to a server a test started: a hang still fails
READY_SECONDS = 90  # a qcluster or gunicorn starting on a busy 2-core machine takes a few

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    seconds: float,
    failure: str | Callable[[], object],
    every: float = 0.1,
) -> T:
    """Ask `condition` every `every` seconds until it answers something true, and return that
    answer; after `seconds` fail with `failure` (called, if it is a function, for a message that
    says how things stand then)."""
    deadline = time.monotonic() + seconds
    while not (answer := condition()):
        if time.monotonic() > deadline:
            message = failure() if callable(failure) else failure
            raise AssertionError(f"not within {seconds:g} s: {message}")
        time.sleep(every)
    return answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_env(
    *, database_url: str, media_root: Path, dashscope_url: str, api_key: str, **overrides: str
) -> dict[str, str]:
    """The environment of a web or worker process: this process's, with the database, storage
    and DashScope it is to use, and `overrides` (any other setting)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "DASHSCOPE_BASE_URL": dashscope_url,
        "DASHSCOPE_API_KEY": api_key,
        "DASHSCOPE_RESULT_HOSTS": "127.0.0.1",
        **overrides,
    }


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py *args` as an operator runs it, in a process of its own, output captured."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Process:
    """A subprocess in a session of its own, its output appended to `log_path`, which can be
    started again after it was stopped or killed. Subclasses say when it is ready."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command, self.env, self.log_path = command, env, log_path
        self.process: subprocess.Popen | None = None
        self._log_start = 0  # where this start's output begins in the log

    @property
    def name(self) -> str:
        return self.log_path.stem

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> None:
        """Start it and return once it is ready; fail with its log if it exits meanwhile."""
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C reaches only the test or benchmark, which stops the
                # processes in order, and a kill of the group gets every child too.
                start_new_session=True,
            )
        wait_until(
            self._ready, READY_SECONDS, lambda: f"{self.name} is not ready; its log:\n{self.log()}"
        )

    def is_ready(self) -> bool:
        return True

    def _ready(self) -> bool:
        if not self.is_running():
            raise AssertionError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log()}"
            )
        return self.is_ready()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self, since_start: bool = False) -> str:
        """What it wrote to its log (since its last start)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start if since_start else 0)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL it and all its children: a crash, not a shutdown."""
        if self.is_running():
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, seconds: float = 10) -> None:
        """SIGTERM to its main process only, which stops its children (a qcluster given SIGTERM
        in all its processes at once hangs); SIGKILL to them all if it takes over `seconds`."""
        if not self.is_running():
            return
        self.process.terminate()
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill()


class QCluster(Process):
    """`manage.py qcluster` (or `command`, which runs it), ready once it says it is running (q2
    says so at log level INFO)."""

    def __init__(
        self, env: dict[str, str], log_path: Path, command: list[str] | None = None
    ) -> None:
        super().__init__(command or [sys.executable, "manage.py", "qcluster"], env, log_path)

    def is_ready(self) -> bool:
        return re.search(r"Q Cluster .+ running\.", self.log(since_start=True)) is not None


class WebServer(Process):
    """gunicorn on a loopback port of its own (the same after a restart), ready once its login
    page answers 200. `command` replaces the default one (2 workers); `options` add to it."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        command: list[str] | None = None,
        options: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if command is None:
            command = [sys.executable, "-m", "gunicorn", "wanxweb.wsgi", "--workers", "2"]
            command += ["--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "1"]
        super().__init__([*command, *options], env, log_path)

    def is_ready(self) -> bool:
        return answers(f"{self.url}/accounts/login/")

    def log_in(self, username: str, password: str) -> requests.Session:
        """A browser's session, logged in through the login form."""
        browser = requests.Session()
        login = f"{self.url}/accounts/login/"
        form = {"username": username, "password": password}
        response = browser.post(login, form | csrf_field(browser, login), timeout=TIMEOUT)
        assert response.status_code == 200 and response.url == f"{self.url}/"
        return browser

    def create(self, browser: requests.Session, prompt: str, n: int = 1) -> None:
        """Submit the prompt form as a person does."""
        form = {"model": "wanx2.1-t2i-turbo", "prompt": prompt, "size": "1024*1024", "n": n}
        form |= csrf_field(browser, f"{self.url}/")
        assert browser.post(f"{self.url}/", form, timeout=TIMEOUT).status_code == 200


class Simulator(Process):
    """The DashScope simulator as a process of its own (`command`: how to start it on `port`),
    ready once its controls answer."""

    def __init__(self, command: list[str], port: int, env: dict[str, str], log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.url}/api/v1"
        super().__init__(command, env, log_path)

    def is_ready(self) -> bool:
        return answers(f"{self.url}/_sim/stats")

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_sim/stats", timeout=TIMEOUT).json()


def answers(url: str) -> bool:
    """Whether `url` answers 200 (not yet listening, or a worker still booting: not yet)."""
    try:
        return requests.get(url, timeout=TIMEOUT).status_code == 200
    except requests.RequestException:
        return False


def csrf_field(browser: requests.Session, url: str) -> dict:
    page = browser.get(url, timeout=TIMEOUT)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    return {"csrfmiddlewaretoken": token}
