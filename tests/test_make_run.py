"""The README's first command: `make run` starts everything, says how to log in, stops on Ctrl-C."""

import contextlib
import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from .conftest import slow
from .harness import ROOT, free_port, wait_until

pytestmark = slow


def processes_using(marker: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            pass
    return found


class MakeRun:
    """`make run` in a session of its own, as a terminal runs it, on free ports and a VAR_DIR of
    its own; its output is collected as it comes, so waiting for a line never blocks past its
    deadline."""

    def __init__(self, var_dir: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DASHSCOPE_") and key not in ("DATABASE_URL", "MEDIA_ROOT")
        }
        env.update(VAR_DIR=str(var_dir), PORT=str(free_port()), SIMULATOR_PORT=str(free_port()))
        self.marker = f"VAR_DIR={var_dir}"  # in the environment of every process it starts
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, seconds: float) -> re.Match:
        return wait_until(
            lambda: re.search(pattern, self.output),
            seconds,
            lambda: f"no line matched {pattern!r}; output was:\n{self.output}",
        )

    def processes(self) -> list[int]:
        return processes_using(self.marker)

    def ctrl_c(self) -> None:
        """SIGINT to its process group, as Ctrl-C in the terminal does; then wait until `make`
        has exited and its output is closed (every process holding it has ended)."""
        os.killpg(self.process.pid, signal.SIGINT)
        wait_until(lambda: self.process.poll() is not None, 20, lambda: self.output)
        self.reader.join(10)
        assert not self.reader.is_alive(), f"its output is still open:\n{self.output}"

    def kill_what_is_left(self) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait()
        self.reader.join()


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path / "var")
    yield run
    run.kill_what_is_left()  # when a test failed, not to leave its processes to the next ones


def test_make_run_serves_the_app_with_the_simulator_and_stops_on_ctrl_c(make_run):
    try:
        login = make_run.wait_for(
            r"Open (http://\S+/) and log in as “admin” with password “(\S+)”", 90
        )
        url, password = login.groups()

        session = requests.Session()
        session.get(url + "accounts/login/")
        page = session.post(
            url + "accounts/login/",
            data={
                "username": "admin",
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
        )
        assert "bundled DashScope simulator" in page.text
        response = session.post(
            url,
            data={
                "model": "wanx2.1-t2i-turbo",
                "prompt": "a first light",
                "size": "1024*1024",
                "n": 1,
            },
            headers={"X-CSRFToken": session.cookies["csrftoken"], "HX-Request": "true"},
        )
        card_url = url + "g/{}/card/".format(re.search(r'id="generation-(\d+)"', response.text)[1])

        def card() -> str:
            return session.get(card_url).text

        wait_until(lambda: "<img" in card(), 60, card, every=0.5)
    finally:
        make_run.ctrl_c()

    output = make_run.output
    assert "SIGINT received" in output and "SIGKILL" not in output, output
    # Nothing left running: q2's workers may take a moment to exit after their cluster.
    wait_until(lambda: make_run.processes() == [], 10, make_run.processes)


def qcluster_main(run: MakeRun) -> int:
    """The pid of qcluster's main process: it leads a session of its own (see the Procfile)."""
    for pid in run.processes():
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"manage.py\0qcluster" in command and os.getsid(pid) == pid:
                return pid
    raise AssertionError("no qcluster main process")


@pytest.mark.parametrize("ctrl_c", ["at once", "once honcho noticed"])
def test_a_killed_qcluster_stops_make_run_and_ctrl_c_leaves_nothing_running(make_run, ctrl_c):
    """A SIGKILL leaves q2's workers without their main process, in a session honcho does not
    reach: they must still end, and honcho must notice that the worker line has."""
    make_run.wait_for(r"Q Cluster .+ running\.", 90)

    os.kill(qcluster_main(make_run), signal.SIGKILL)
    if ctrl_c == "once honcho noticed":
        make_run.wait_for(r"worker\.1 stopped", 15)  # and so it stops the others
    make_run.ctrl_c()

    assert "worker.1 stopped" in make_run.output, make_run.output
    wait_until(lambda: make_run.processes() == [], 10, make_run.processes)
