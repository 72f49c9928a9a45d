"""Downloading result images: allowed hosts only, capped, verified as images."""

import io
import threading
import zlib
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from PIL import Image

from gallery.downloads import DownloadError, fetch_image, give_up, host_allowed, store_results
from gallery.models import Generation

from .factories import make_generation

pytestmark = pytest.mark.usefixtures("allow_loopback")


def png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def origin():
    """A loopback server answering `routes[path]` = (status, headers, body)."""
    routes: dict[str, tuple[int, dict, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if not server.omit_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.routes = routes
    server.omit_length = False
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png?x=1", True),
        ("https://dashscope-result-wlcb.oss-cn-wulanchabu.aliyuncs.com/a.png", True),
        ("http://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png", False),  # not https
        ("https://dashscope-result-intl.oss-cn-singapore.aliyuncs.com/a.png", True),
        ("https://dashscope-463f.oss-accelerate.aliyuncs.com/a.png", True),
        ("https://someones-bucket.oss-cn-beijing.aliyuncs.com/a.png", False),
        # a bucket anyone may create, named like DashScope's
        ("https://dashscope-result-mine.oss-cn-beijing.aliyuncs.com/a.png", False),
        ("https://dashscope-463f-copy.oss-accelerate.aliyuncs.com/a.png", False),
        ("https://x.dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png", False),
        ("https://dashscope-result-bj.oss-cn-beijing.evil.aliyuncs.com/a.png", False),
        ("https://dashscope.aliyuncs.com/api/v1/tasks", False),
        ("https://dashscope-result-bj.evil.net/a.png", False),
        ("https://dashscope-result-bj.aliyuncs.com.evil.net/a.png", False),
        ("http://127.0.0.1:9/a.png", True),
        ("http://127.0.0.2/a.png", False),
        ("file:///etc/passwd", False),
        ("ftp://127.0.0.1/a.png", False),
    ],
)
def test_only_configured_hosts_are_allowed(url, allowed):
    assert host_allowed(url) is allowed


def test_a_plain_suffix_allows_its_subdomains(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["example.com"]
    assert host_allowed("https://images.example.com/a.png")
    assert not host_allowed("https://badexample.com/a.png")


def test_it_downloads_a_real_image(origin):
    origin.routes["/a.png"] = (200, {"Content-Type": "image/png"}, png())
    assert fetch_image(origin.url + "/a.png") == png()


def test_it_follows_a_redirect_within_allowed_hosts(origin):
    origin.routes["/old"] = (302, {"Location": "/a.png"}, b"")
    origin.routes["/a.png"] = (200, {}, png())
    assert fetch_image(origin.url + "/old") == png()


def test_it_refuses_a_redirect_to_another_host(origin):
    origin.routes["/old"] = (302, {"Location": "http://169.254.169.254/latest/meta-data"}, b"")
    with pytest.raises(DownloadError, match="Refused to download from 169.254.169.254"):
        fetch_image(origin.url + "/old")


def test_it_refuses_a_body_that_is_not_an_image(origin):
    origin.routes["/a.png"] = (200, {}, b"<html>not an image</html>")
    with pytest.raises(DownloadError, match="Not a valid image"):
        fetch_image(origin.url + "/a.png")


@pytest.mark.parametrize("announced", [True, False])
def test_it_refuses_an_image_over_the_size_cap(origin, settings, announced):
    settings.IMAGE_MAX_BYTES = 1000
    origin.routes["/a.png"] = (200, {}, png(400, 400) + b"\0" * 2000)
    origin.omit_length = not announced  # then only the streaming cap can catch it
    with pytest.raises(DownloadError, match="larger than allowed"):
        fetch_image(origin.url + "/a.png")


def test_it_refuses_a_decompression_bomb(origin):
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, "PNG")  # a small file of 25 megapixels
    origin.routes["/bomb.png"] = (200, {}, bomb.getvalue())
    with pytest.raises(DownloadError, match="too many pixels|Not a valid image"):
        fetch_image(origin.url + "/bomb.png")


def test_an_expired_link_is_reported_as_expired(origin):
    origin.routes["/a.png"] = (403, {}, b"<Error><Code>AccessDenied</Code></Error>")
    with pytest.raises(DownloadError) as caught:
        fetch_image(origin.url + "/a.png")
    assert caught.value.code == "ResultExpired" and not caught.value.retryable


def test_a_server_error_is_retryable(origin):
    origin.routes["/a.png"] = (503, {}, b"")
    with pytest.raises(DownloadError) as caught:
        fetch_image(origin.url + "/a.png")
    assert caught.value.retryable


def damaged_png() -> bytes:
    """A PNG whose chunks and checksums are fine but whose pixel data cannot be decoded."""
    good = png(64, 48)
    start = good.index(b"IDAT") + 4
    length = int.from_bytes(good[start - 8 : start - 4], "big")
    garbage = b"\x00" * length
    chunk = b"IDAT" + garbage
    crc = zlib.crc32(chunk).to_bytes(4, "big")
    return good[: start - 4] + chunk + crc + good[start + length + 4 :]


@pytest.fixture
def downloading(db, user, media_root, origin):
    def make(*paths: str, n: int | None = None) -> Generation:
        return make_generation(
            user,
            status=Generation.Status.DOWNLOADING,
            n=n or len(paths),
            results=[{"url": origin.url + path} for path in paths],
            store_claimed_until=timezone.now(),
        )

    return make


def test_a_passing_network_problem_leaves_the_image_to_a_later_try(downloading, origin):
    origin.routes["/a.png"] = (503, {}, b"")
    generation = downloading("/a.png")

    store_results(generation)

    generation.refresh_from_db()
    assert generation.status == Generation.Status.DOWNLOADING
    assert not generation.images.exists()
    assert generation.store_claimed_until > timezone.now() + timedelta(seconds=20)

    origin.routes["/a.png"] = (200, {}, png())
    store_results(generation)

    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert generation.images.get().original.read() == png()


def test_damaged_pixel_data_is_a_per_image_error(downloading, origin):
    origin.routes["/good.png"] = (200, {}, png())
    origin.routes["/bad.png"] = (200, {}, damaged_png())
    generation = downloading("/good.png", "/bad.png")

    store_results(generation)

    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    good, bad = generation.images.all()
    assert good.original and not bad.original
    assert "Not a valid image" in bad.error_message


def test_a_job_given_up_for_dead_stops_when_another_has_taken_over(downloading, origin):
    origin.routes["/a.png"] = (200, {}, png())
    generation = downloading("/a.png")
    stale = Generation.objects.get(pk=generation.pk)
    Generation.objects.filter(pk=generation.pk).update(
        store_claimed_until=timezone.now() + timedelta(minutes=2)  # the sweep started another job
    )

    store_results(stale)

    assert not generation.images.exists()


def test_giving_up_keeps_what_was_stored(downloading, origin):
    origin.routes["/a.png"] = (200, {}, png())
    origin.routes["/b.png"] = (503, {}, b"")
    generation = downloading("/a.png", "/b.png")
    store_results(generation)
    generation.refresh_from_db()

    give_up(generation)

    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    kept, lost = generation.images.all()
    assert kept.original and lost.error_code == "DownloadFailed"
