"""Result downloads, beyond tests/test_downloads.py: the allow-list cannot be talked around
(parser tricks, redirect loops, scheme downgrades), only PNG, JPEG and WebP of sane size are
kept, and stored images are served as images only."""

import io
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from gallery.downloads import DownloadError, fetch_image, host_allowed

from ..factories import finished_generation

pytestmark = pytest.mark.usefixtures("allow_loopback")


def image(kind: str, size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, kind)
    return out.getvalue()


@pytest.fixture
def server():
    """A loopback server answering every path with `answer` = (status, headers, body), and
    keeping the paths it was asked for."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = httpd.answer
            httpd.asked.append(self.path)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.answer = (200, {}, image("PNG"))
    httpd.asked = []
    httpd.port = httpd.server_port
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "https://dashscope-result-bj.aliyuncs.com@evil.net/a.png",  # userinfo, then evil.net
        "https://evil.net#@dashscope-result-bj.aliyuncs.com/a.png",
        "https://evil.net?@dashscope-result-bj.aliyuncs.com/a.png",
        "https://dashscope-result-bj.aliyuncs.com.evil.net/a.png",
        "https://dashscope-result-bj.aliyuncs.com./a.png",  # a trailing dot: refused, safely
        "http://2130706433/a.png",  # 127.0.0.1 as one number
        "http://[::ffff:127.0.0.1]/a.png",
        "https:/\\evil.net/a.png",
        "//evil.net/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_urls_that_name_another_host_are_refused(url):
    assert not host_allowed(url)


def test_a_backslash_cannot_make_the_check_and_the_download_see_different_hosts(server, settings):
    settings.DASHSCOPE_RESULT_HOSTS = ["localhost"]  # 127.0.0.1 is now not allowed
    url = f"http://127.0.0.1:{server.port}\\@localhost/a.png"

    with pytest.raises(DownloadError, match="Refused"):
        fetch_image(url)
    assert server.asked == []


def test_a_download_that_trickles_in_past_its_deadline_is_given_up(server, monkeypatch):
    noise = io.BytesIO()
    Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3)).save(noise, "PNG")
    server.answer = (200, {}, noise.getvalue())  # more than one 64 kB chunk
    monkeypatch.setattr("gallery.downloads.DOWNLOAD_SECONDS", 0)

    with pytest.raises(DownloadError, match="too slow") as refused:
        fetch_image(f"http://127.0.0.1:{server.port}/a.png")
    assert refused.value.retryable


def test_a_redirect_loop_ends(server):
    server.answer = (302, {"Location": "/again"}, b"")
    with pytest.raises(DownloadError, match="Too many redirects"):
        fetch_image(f"http://127.0.0.1:{server.port}/a.png")
    assert len(server.asked) == 4  # the first request and three redirects, no more


@pytest.mark.parametrize(
    "location",
    [
        "http://dashscope-result-bj.aliyuncs.com/a.png",  # https downgraded to http
        "file:///etc/passwd",
        "http://127.0.0.2/a.png",
        "http://localhost.evil.net/a.png",
    ],
)
def test_a_redirect_is_checked_like_the_first_url(server, location):
    server.answer = (301, {"Location": location}, b"")
    with pytest.raises(DownloadError, match="Refused to download"):
        fetch_image(f"http://127.0.0.1:{server.port}/a.png")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (image("GIF", mode="P"), "Unexpected GIF file"),
        (image("BMP"), "Unexpected BMP file"),
        (image("TIFF"), "Unexpected TIFF file"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "Not a valid"),
        (b"%PDF-1.7\n", "Not a valid image"),
        (b"", "Not a valid image"),
        (image("PNG")[:60], "Not a valid image"),  # cut short
    ],
)
def test_only_whole_png_jpeg_and_webp_images_are_kept(server, body, words):
    server.answer = (200, {"Content-Type": "image/png"}, body)
    with pytest.raises(DownloadError, match=words):
        fetch_image(f"http://127.0.0.1:{server.port}/a.png")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_decompression_bomb_is_refused_in_every_kept_format(server, kind):
    server.answer = (200, {}, image(kind, size=(5000, 5000), mode="L"))  # small file, 25 Mpx
    with pytest.raises(DownloadError, match="too many pixels|Not a valid image"):
        fetch_image(f"http://127.0.0.1:{server.port}/a.png")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_real_image_in_a_kept_format_is_taken(server, kind):
    server.answer = (200, {}, image(kind))
    assert fetch_image(f"http://127.0.0.1:{server.port}/a.png") == image(kind)


@pytest.mark.django_db
def test_stored_images_are_served_as_images_that_browsers_must_not_sniff(client, user, media_root):
    generation = finished_generation(user)
    client.force_login(user)
    for kind in ("original", "download"):
        response = client.get(f"/g/{generation.pk}/images/0/{kind}/")
        assert "private" in response["Cache-Control"]
        if response.status_code == 302:  # object storage, on an origin of its own
            response = requests.get(response["Location"], timeout=10)
            assert response.headers["Content-Type"] == "image/png"
            continue
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/g/{generation.pk}/images/0/download/")
    assert download["Content-Disposition"].startswith("attachment;")
