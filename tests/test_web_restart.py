"""A web process killed and started again while generations run loses nothing.

gunicorn serves the app from a subprocess, as in production; it is SIGKILLed while the
generations it created are still at DashScope and started again on the same port. The person's
session survives, the generations complete, and their cards show the stored images.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest
import requests
from django.conf import settings
from PIL import Image

from gallery.models import Generation

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "wonderland-2026"  # the `user` fixture's
TIMEOUT = 30  # seconds; generous, as a loaded machine is slow, but a hang still fails


class WebServer:
    """gunicorn on a fixed loopback port, which a test can kill and start again."""

    def __init__(self, env: dict, log_path: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = log_path.open("ab")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wanxweb.wsgi", "--workers", "2"]
            + ["--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "1"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/accounts/login/", timeout=TIMEOUT).status_code == 200:
                    return
            except requests.RequestException:  # not listening, or a worker still booting
                pass
            assert self.process.poll() is None, "gunicorn exited; see its log"
            assert time.monotonic() < deadline, "gunicorn did not answer in time"
            time.sleep(0.1)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def web(qcluster, tmp_path):
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        pytest.fail("no static files: run `manage.py collectstatic` first", pytrace=False)
    # The worker's environment: the same database, media folder and simulator.
    server = WebServer({**qcluster.env, "HTTPS": "false"}, tmp_path / "gunicorn.log")
    server.start()
    yield server
    server.kill()
    server.log.close()


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=TIMEOUT)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]


def test_restarting_the_web_process_mid_run_loses_nothing(web, simulator, user):
    simulator.config.running_seconds = 3.0  # long enough to restart the web process meanwhile
    browser = requests.Session()
    login = f"{web.url}/accounts/login/"
    token = csrf_token(browser, login)
    response = browser.post(
        login,
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200 and response.url == f"{web.url}/"
    for i in range(3):
        form = {"model": "wanx2.1-t2i-turbo", "prompt": f"restart {i}", "size": "1024*1024"}
        form |= {"n": 2, "csrfmiddlewaretoken": csrf_token(browser, f"{web.url}/")}
        assert browser.post(f"{web.url}/", form, timeout=TIMEOUT).status_code == 200

    ids = list(Generation.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    deadline = time.monotonic() + 20
    while simulator.stats()["submits"] < 2:  # DashScope is working on them
        assert time.monotonic() < deadline
        time.sleep(0.05)
    web.kill()
    assert Generation.objects.active().count() == 3  # nothing had finished yet
    web.start()

    deadline = time.monotonic() + 60
    while Generation.objects.active().exists():
        assert time.monotonic() < deadline, list(Generation.objects.values("status"))
        time.sleep(0.2)
    assert simulator.stats()["submits"] == 3  # each sent once
    for pk in ids:
        card = browser.get(f"{web.url}/g/{pk}/card/", timeout=TIMEOUT)  # the same session as before
        assert card.status_code == 200
        assert 'data-status="SUCCEEDED"' in card.text
        thumbnails = re.findall(r'<img src="([^"]+/thumbnail/)"', card.text)
        assert len(thumbnails) == 2
        for url in thumbnails:
            image = browser.get(f"{web.url}{url}", timeout=TIMEOUT)
            assert image.status_code == 200
            with Image.open(BytesIO(image.content)) as picture:
                assert picture.format == "WEBP"
