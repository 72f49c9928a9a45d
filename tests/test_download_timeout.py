"""A result host that takes the connection and then says nothing cannot hold a store job for
ever: the download gives up, as a passing problem, to be tried again later. Its own file, so
`make mutate` runs its half minute only for mutants that every quicker test let through."""

import socket
import time

import pytest

from gallery.downloads import DownloadError, fetch_image

pytestmark = pytest.mark.slow  # half a minute: the read timeout


def test_a_host_that_accepts_but_never_answers_gives_up_in_time_to_be_tried_again(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1"]
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        started = time.monotonic()
        with pytest.raises(DownloadError) as caught:
            fetch_image(f"http://127.0.0.1:{silent.getsockname()[1]}/a.png")
    assert caught.value.retryable and time.monotonic() - started < 60
