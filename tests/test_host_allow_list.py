"""The download allow-list and fetch_image's guards, beyond tests/test_downloads.py and
tests/security/: what the mutation run (`make mutate`) showed no test held."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gallery.downloads import DownloadError, fetch_image, host_allowed


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8765/a.png"),
        ("localhost", "http://localhost:8765/a.png"),
        ("::1", "http://[::1]:8765/a.png"),
    ],
)
def test_plain_http_is_allowed_from_a_listed_loopback_host(settings, host, url):
    # The simulator serves its images over plain http on this machine.
    settings.DASHSCOPE_RESULT_HOSTS = [host]
    assert host_allowed(url) is True


def test_plain_http_is_refused_from_a_listed_host_that_is_not_loopback(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["images.example.com"]
    assert host_allowed("https://images.example.com/a.png") is True
    assert host_allowed("http://images.example.com/a.png") is False


def test_a_url_that_cannot_be_read_is_refused(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    assert host_allowed("http://127.0.0.1:99999999/a.png") is False


def test_a_backslash_is_refused_even_before_an_allowed_host(settings):
    # urllib3 (the download) sees 127.0.0.1 here, urllib.parse (redirects, messages) localhost.
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    assert host_allowed("http://127.0.0.1\\@localhost/a.png") is False


def test_a_user_part_is_refused_even_before_an_allowed_host(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    assert host_allowed("http://user:secret@127.0.0.1/a.png") is False


def test_a_host_that_does_not_answer_is_a_passing_problem_tried_again_later(settings):
    with socket.socket() as unused:  # a loopback port that nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    with pytest.raises(DownloadError) as caught:
        fetch_image(f"http://127.0.0.1:{port}/a.png")
    assert caught.value.retryable


def test_an_oversized_image_is_not_downloaded_whole(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    settings.IMAGE_MAX_BYTES = 100_000
    total, sent, done = 64 * 2**20, [0], threading.Event()

    class Endless(BaseHTTPRequestHandler):
        def do_GET(self):  # no Content-Length: only the streaming cap can stop it
            self.send_response(200)
            self.end_headers()
            try:
                while sent[0] < total:
                    self.wfile.write(b"\0" * 2**16)
                    sent[0] += 2**16
            except OSError:
                pass  # the client hung up
            finally:
                done.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DownloadError, match="larger than allowed"):
            fetch_image(f"http://127.0.0.1:{server.server_port}/a.png")
        assert done.wait(10)
    finally:
        server.shutdown()
    assert sent[0] < total / 2  # it stopped reading at the cap, not at the end
