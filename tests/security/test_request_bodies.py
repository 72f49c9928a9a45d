"""A body the app cannot read answers its own 400, and a body larger than it takes its own 413,
with one log line and no traceback, on every route: anyone can send one, so each must cost
little (a traceback per request once filled a disk with 66 KB each)."""

import io
import logging
import socket

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .routes import ROUTES

pytestmark = pytest.mark.django_db
URLENCODED = "application/x-www-form-urlencoded"
PART = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'
FILE_PART = b'--x\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\n\r\nx\r\n'
MALFORMED = {  # content type, body
    "urlencoded in utf-16": (f"{URLENCODED}; charset=utf-16", b"a=b"),
    "multipart in utf-16": ("multipart/form-data; boundary=x; charset=utf-16", PART + b"--x--"),
    "multipart without a boundary": ("multipart/form-data", PART + b"--x--"),
    "multipart with an empty boundary": ("multipart/form-data; boundary=", PART + b"--x--"),
    "too many fields": (URLENCODED, b"&".join(b"f%d=1" % i for i in range(1001))),
    "too many files": ("multipart/form-data; boundary=x", FILE_PART * 101 + b"--x--"),
}


@pytest.fixture
def strict_client() -> Client:
    """A client whose requests are checked for CSRF as a browser's are, holding the token, as
    a prober who fetched the login page first does; errors are answered, not raised."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def assert_refused_in_one_line(response, caplog, status: int, heading: str) -> None:
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()
    assert [(r.levelname, bool(r.exc_info)) for r in caplog.records] == [("WARNING", False)]


def test_the_probes_request_is_the_apps_400_in_one_log_line(strict_client, caplog):
    with caplog.at_level(logging.INFO):
        response = strict_client.post(
            "/accounts/login/", b"a=b", content_type=f"{URLENCODED}; charset=utf-16"
        )

    assert_refused_in_one_line(response, caplog, 400, "Bad request")
    assert caplog.messages == ["Refused /accounts/login/: a form body in utf-16"]


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "admin"])
@pytest.mark.parametrize("what", MALFORMED)
def test_every_route_refuses_a_malformed_body_in_one_log_line(
    strict_client, admin_user, caplog, what, anonymous
):
    if not anonymous:
        strict_client.force_login(admin_user)
    content_type, body = MALFORMED[what]
    answered = {}
    for url in ROUTES:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = strict_client.post(url, body, content_type=content_type)
        records = [(r.levelname, bool(r.exc_info)) for r in caplog.records]
        if response.status_code != 400 or records != [("WARNING", False)]:
            answered[url] = (response.status_code, records)
    assert not answered, f"{what}: not the app's 400 in one line: {answered}"


def test_a_body_larger_than_the_app_takes_is_refused_before_it_is_sent(live_server):
    """Over a real connection, headers only: the 413 comes back while the 100 MB the request
    announces are still unsent, so nothing waited to read them."""
    host, port = live_server.url.removeprefix("http://").split(":")
    request = (
        "POST /accounts/login/ HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        connection.sendall(request.encode())
        answer = connection.recv(65536).decode(errors="replace")
        while "</html>" not in answer:
            answer += connection.recv(65536).decode(errors="replace")

    assert answer.startswith("HTTP/1.1 413 ")
    assert "<h1>Too large</h1>" in answer


def test_a_body_the_app_takes_is_not_refused(strict_client, user):
    """The check above passes a real login by, with its form as a browser sends it."""
    response = strict_client.post(
        "/accounts/login/", {"username": "alice", "password": "wonderland-2026"}
    )
    assert response.status_code == 302


@pytest.fixture
def log_output():
    """What the log's console handler writes, as the operator reads it."""
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    written = io.StringIO()
    previous = console.setStream(written)
    yield written
    console.setStream(previous)


def test_no_refused_request_writes_a_traceback_to_the_log(admin_user, log_output):
    """Asked every route, the admin's too (its add pages of read-only models answer 403 by
    raising), the log says what was refused, line by line."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    for url in ROUTES:
        client.get(url)

    assert "Forbidden (Permission denied): /admin/axes/accesslog/add/" in log_output.getvalue()
    assert "Traceback" not in log_output.getvalue()


def big_form(size: int) -> dict:
    upload = SimpleUploadedFile("a.png", b"x" * size)
    return {"model": "wan2.7-image", "prompt": "a lighthouse", "reference_uploads": upload}


def test_only_the_prompt_form_of_someone_logged_in_takes_a_larger_body(client, user):
    """Reference images go to the prompt form; anyone else's large body is refused unread."""
    over = settings.REQUEST_BODY_MAX_BYTES + 1
    assert client.post("/", big_form(over)).status_code == 413  # not logged in
    client.force_login(user)
    assert client.post("/boards/", big_form(over)).status_code == 413  # not the prompt form
    response = client.post("/", big_form(over))
    assert response.status_code == 200  # read: the form answers, with what it refused
    assert "not an image that can be read" in response.content.decode()
