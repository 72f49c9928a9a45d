"""The README's first command: `make run` starts everything, says how to log in, stops on Ctrl-C."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

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


def read_until(process: subprocess.Popen, pattern: str, seconds: float) -> re.Match:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError("no line matched; output was:\n" + "".join(seen))


def test_make_run_serves_the_app_with_the_simulator_and_stops_on_ctrl_c(tmp_path):
    var_dir = tmp_path / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DASHSCOPE_") and key not in ("DATABASE_URL", "MEDIA_ROOT")
    }
    env.update(VAR_DIR=str(var_dir), PORT=str(free_port()), SIMULATOR_PORT=str(free_port()))
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        login = read_until(
            process, r"Open (http://\S+/) and log in as “admin” with password “(\S+)”", 90
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
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        output, _ = process.communicate(timeout=30)

    assert "SIGINT received" in output and "SIGKILL" not in output, output
    # Nothing left running: q2's workers may take a moment to exit after their cluster.
    left = f"VAR_DIR={var_dir}"
    wait_until(lambda: processes_using(left) == [], 10, lambda: processes_using(left))
