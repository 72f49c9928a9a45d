"""Downloading result images: allowed hosts only, capped, verified as images."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from gallery.downloads import DownloadError, fetch_image, host_allowed


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
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.routes = routes
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["127.0.0.1", "aliyuncs.com"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png?x=1", True),
        ("https://aliyuncs.com/a.png", True),
        ("https://evil-aliyuncs.com/a.png", False),
        ("https://aliyuncs.com.evil.net/a.png", False),
        ("http://127.0.0.1:9/a.png", True),
        ("http://127.0.0.2/a.png", False),
        ("file:///etc/passwd", False),
        ("ftp://127.0.0.1/a.png", False),
    ],
)
def test_only_configured_hosts_are_allowed(url, allowed):
    assert host_allowed(url) is allowed


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


def test_it_refuses_an_image_over_the_size_cap(origin, settings):
    settings.IMAGE_MAX_BYTES = 1000
    origin.routes["/a.png"] = (200, {}, png(400, 400) + b"\0" * 2000)
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
