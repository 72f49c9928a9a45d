"""What a gallery page of 48 thumbnails weighs in a browser, and what it costs the database.

Starts the DashScope simulator, gunicorn and a real qcluster (bench._harness.Stack) on a fresh
VAR_DIR, makes 24 generations of two images each through the real pipeline (so the thumbnails
are the ones the app stores from the simulator's PNGs), then opens the home page in Debian's
Chromium at 1440x900, logged in through the form, and prints the bytes transferred (bodies as
sent, compressed where the server compressed them, plus headers) for the first screen and after
scrolling to the end, when all 48 lazy thumbnails have loaded, by kind of resource.
Target (issue 13): under 1.5 MB with all 48 thumbnails. The simulator's images are smooth; the
last line estimates the same page with thumbnails of detailed images, as real ones are.

Usage: .venv/bin/python bench/page_weight.py [--generations 24] [--images 2]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import MODEL, PASSWORD, simulated_stack  # noqa: E402
from gallery.dashscope.simulator import SimulatorConfig  # noqa: E402
from tests.harness import wait_until  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZES = [(1024, 1024), (1280, 720), (720, 1280), (1024, 768)]


def kind_of(url: str, resource_type: str) -> str:
    if "/thumbnail/" in url:
        return "thumbnails"
    if resource_type == "document":
        return "page"
    return resource_type  # stylesheet, script, image (the favicon), fetch …


def measure(base_url: str, thumbnails: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        login = browser.new_page()
        login.goto(f"{base_url}/accounts/login/")
        login.fill("input[name=username]", "bench")
        login.fill("input[name=password]", PASSWORD)
        login.click("button.primary")
        login.wait_for_url(f"{base_url}/")
        # A first visit: a new context has the session cookie and nothing in its cache.
        viewport = {"width": 1440, "height": 900}
        page = browser.new_context(viewport=viewport, storage_state=login.context.storage_state())
        page = page.new_page()
        sent: list = []
        page.on("requestfinished", lambda request: sent.append(request))
        page.goto(f"{base_url}/")
        page.wait_for_load_state("networkidle")
        first = weigh(sent)
        images = page.locator("#history img")
        for index in range(images.count()):  # as a person scrolls: each comes into view
            images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function(
            """n => [...document.querySelectorAll('#history img')]
                     .filter(i => i.complete && i.naturalWidth > 0).length === n""",
            arg=thumbnails,
        )
        page.wait_for_load_state("networkidle")
        whole = weigh(sent)
        browser.close()
    for label, (by_kind, counts) in (("first screen", first), (f"all {thumbnails}", whole)):
        total = sum(by_kind.values())
        parts = ", ".join(
            f"{kind} {by_kind[kind] / 1024:.0f} kB ({counts[kind]})" for kind in sorted(by_kind)
        )
        print(f"{label}: {total / 1024 / 1024:.2f} MB transferred: {parts}")
    # The simulator's images are smooth and compress far better than a real one's would.
    detailed = detailed_thumbnail_bytes()
    rest = whole[0].total() - whole[0]["thumbnails"]
    estimate = rest + thumbnails * detailed
    print(
        f"with detailed images (a thumbnail of a noisy fractal, {detailed / 1024:.0f} kB each): "
        f"{estimate / 1024 / 1024:.2f} MB for all {thumbnails}"
    )


def detailed_thumbnail_bytes() -> int:
    """The app's own thumbnail of a 1024x1024 image with detail everywhere, as a photo has."""
    import io

    from PIL import Image

    from gallery.downloads import thumbnail_of

    fractal = Image.effect_mandelbrot((1024, 1024), (-2.0, -1.5, 1.0, 1.5), 200).convert("RGB")
    noise = Image.effect_noise((1024, 1024), 48).convert("RGB")
    picture = Image.blend(fractal, noise, 0.35)
    png = io.BytesIO()
    picture.save(png, "PNG")
    return len(thumbnail_of(png.getvalue())[0])


def weigh(requests: list) -> tuple[Counter, Counter]:
    by_kind, counts = Counter(), Counter()
    for request in requests:
        sizes = request.sizes()
        kind = kind_of(request.url, request.resource_type)
        by_kind[kind] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        counts[kind] += 1
    counts["thumbnails"] = len({r.url for r in requests if kind_of(r.url, "") == "thumbnails"})
    return by_kind, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=24)
    parser.add_argument("--images", type=int, default=2)
    args = parser.parse_args()

    config = SimulatorConfig(pending_seconds=0.2, running_seconds=0.5, running_jitter=0.2)
    with simulated_stack(config) as (_, stack):
        from django.contrib.auth import get_user_model

        from gallery.models import Generation

        owner = get_user_model().objects.create_user("bench", password=PASSWORD)
        for i in range(args.generations):
            width, height = SIZES[i % len(SIZES)]
            Generation.objects.create(
                owner=owner,
                model=MODEL,
                prompt=f"a lighthouse at dawn, study {i}",
                width=width,
                height=height,
                n=args.images,
                seed=1000 + i,
            )
        stack.start_web()
        stack.start_worker()
        done = Generation.objects.filter(status=Generation.Status.SUCCEEDED)
        wait_until(lambda: done.count() == args.generations, 300, "not all stored")
        stack.stop("qcluster")
        measure(stack.base_url, args.generations * args.images)


if __name__ == "__main__":
    main()
