"""The download allow-list, beyond tests/test_downloads.py and tests/security/: what the
mutation run (`make mutate`) showed no test held."""

import socket

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


def test_a_host_that_does_not_answer_is_a_passing_problem_tried_again_later(settings):
    with socket.socket() as unused:  # a loopback port that nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    with pytest.raises(DownloadError) as caught:
        fetch_image(f"http://127.0.0.1:{port}/a.png")
    assert caught.value.retryable
