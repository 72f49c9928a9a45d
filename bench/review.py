"""Benchmark the list pages (home, a team gallery) over 10,000 generations; print the figures.

Creates a fresh SQLite database in a temporary folder (WAL, as in production), fills it with
10,000 generations of two users (most shared with their team, with images, stars and review
marks), then times those pages and their HTMX fragment for a few filter combinations through
Django's test client (no network, no gunicorn: the view, its queries and its templates), and
prints p50/p95, the queries per request and the rows shown.

Usage: .venv/bin/python bench/review.py [--generations 10000] [--runs 30] [--explain]
Needs the collected static files (`manage.py collectstatic`), like the pages themselves.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import percentile, setup_django  # noqa: E402

WORDS = (
    "lighthouse harbour dawn dusk fog storm meadow fox owl cat city neon rain temple bamboo "
    "mountain river lantern market robot garden koi dragon paper watercolor oil ink pixel "
    "portrait landscape cinematic soft golden hour snow desert forest bridge tea moon"
).split()
NEGATIVE = ["blurry", "text, watermark", "low quality", "extra fingers", ""]
SIZES = [(1024, 1024), (1280, 1280), (1280, 720), (720, 1280), (1024, 768), (768, 1024)]


def fill(count: int, seed: int = 7):
    """Two users in a team; alice made 60 % (half of it shared), bob 40 % (all shared)."""
    from django.contrib.auth import get_user_model

    from gallery.dashscope.catalog import MODELS
    from gallery.models import Favourite, GeneratedImage, Generation, ReviewMark, Role, Team

    rng = random.Random(seed)
    User = get_user_model()
    alice = User.objects.create_user("alice", password="bench-password-2026")
    bob = User.objects.create_user("bob", password="bench-password-2026")
    team = Team.create("Lighthouse keepers", owner=alice)
    team.memberships.create(user=bob, role=Role.MEMBER)
    statuses = [Generation.Status.SUCCEEDED] * 16 + [
        Generation.Status.FAILED,
        Generation.Status.FAILED,
        Generation.Status.CANCELED,
        Generation.Status.QUEUED,
    ]
    start = datetime.now(UTC) - timedelta(days=180)
    generations = []
    for i in range(count):
        owner = alice if rng.random() < 0.6 else bob
        width, height = rng.choice(SIZES)
        prompt = " ".join(rng.choices(WORDS, k=rng.randint(5, 14)))
        status = rng.choice(statuses)
        generations.append(
            Generation(
                owner=owner,
                team=team if owner == bob or rng.random() < 0.5 else None,
                model=rng.choice(list(MODELS)),
                prompt=prompt,
                negative_prompt=rng.choice(NEGATIVE),
                actual_prompt=f"{prompt}, {' '.join(rng.choices(WORDS, k=20))}"
                if status == Generation.Status.SUCCEEDED
                else "",
                width=width,
                height=height,
                n=rng.randint(1, 4),
                seed=rng.randint(0, 2**31 - 1),
                status=status,
                created_at=start + timedelta(seconds=i * 180 * 86400 / count),
            )
        )
    generations = Generation.objects.bulk_create(generations, batch_size=1000)
    GeneratedImage.objects.bulk_create(
        (
            GeneratedImage(
                generation=g,
                index=index,
                original=f"generations/{g.pk}/{index}.png",
                thumbnail=f"generations/{g.pk}/{index}.thumb.webp",
                width=g.width,
                height=g.height,
            )
            for g in generations
            if g.status == Generation.Status.SUCCEEDED
            for index in range(g.n)
        ),
        batch_size=2000,
    )
    Favourite.objects.bulk_create(
        Favourite(user=alice, generation=g) for g in generations if rng.random() < 0.05
    )
    ReviewMark.objects.bulk_create(
        ReviewMark(generation=g, user=user, mark=rng.choice(["picked", "rejected"]))
        for g in generations
        if g.team_id
        for user in (alice, bob)
        if rng.random() < 0.3
    )
    return alice, team, generations


def measure(client, url: str, runs: int, htmx: bool) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HX-Request": "true", "HX-Target": "review-results"} if htmx else {}
    for _ in range(3):  # warm the caches: templates, SQLite pages
        client.get(url, headers=headers)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    cards = response.content.count(b'<article class="card')
    return times, len(queries), cards


def explain(user, team) -> None:
    """SQLite's plan for the page query of a few scopes: which index serves each."""
    from django.db import connection

    from gallery.listing import FilterForm
    from gallery.models import Generation

    mine = Generation.objects.visible_to(user).filter(owner=user)
    shared = Generation.objects.visible_to(user).filter(team=team)
    for label, scope, data in [
        ("mine, newest", mine, {}),
        ("mine, oldest", mine, {"order": "oldest"}),
        ("mine, model+status", mine, {"model": "wan2.2-t2i-plus", "status": "FAILED"}),
        ("mine, starred", mine, {"starred": "on"}),
        ("team, newest", shared, {}),
        ("team, author", shared, {"author": "bob"}),
        ("team, picked", shared, {"review": "picked"}),
    ]:
        from django.contrib.auth import get_user_model

        form = FilterForm(data, authors=get_user_model().objects.all(), reviews=True)
        form.is_valid()
        sql, params = form.narrow(scope, user).for_cards(user)[:25].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
        print(f"  {label}:")
        for step in plan:
            print(f"      {step}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print SQLite's query plans")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wanxweb-review-bench-") as tmp:
        setup_django(Path(tmp))
        from django.test import Client

        from gallery.listing import encode_cursor

        began = time.perf_counter()
        alice, team, generations = fill(args.generations)
        print(f"{args.generations:,} generations created in {time.perf_counter() - began:.1f} s")
        client = Client()
        client.force_login(alice)
        alices = [g for g in generations if g.owner_id == alice.pk]
        half_way = alices[len(alices) // 2]
        deep = encode_cursor((half_way.created_at, half_way.pk))  # half way down her history
        gallery = f"/teams/{team.pk}/gallery/"
        combos = [
            ("mine, first page", "/"),
            ("mine, oldest first", "/?order=oldest"),
            ("mine, half way down (load more)", f"/?after={deep}"),
            ("mine, search 1 word", "/?q=lighthouse"),
            (
                "mine, search 2 words + model + status",
                "/?q=fox+neon&model=wan2.2-t2i-plus&status=SUCCEEDED",
            ),
            (
                "mine, size + last 30 days",
                f"/?size=1280x720&since={(datetime.now(UTC) - timedelta(days=30)).date()}",
            ),
            ("mine, starred", "/?starred=on"),
            ("mine, search that matches nothing", "/?q=zeppelin"),
            ("team, first page", gallery),
            ("team, author", f"{gallery}?author=bob"),
            ("team, picked", f"{gallery}?review=picked"),
            (
                "team, search + unreviewed + oldest",
                f"{gallery}?q=harbour&review=unreviewed&order=oldest",
            ),
        ]
        print(f"\n{args.runs} requests each, after 3 to warm up; times in ms\n")
        header = ["page p50", "p95", "htmx p50", "p95", "queries", "cards"]
        print(f"{'view':42}" + "".join(f"{name:>9}" for name in header))
        for label, url in combos:
            page, queries, cards = measure(client, url, args.runs, htmx=False)
            fragment, fragment_queries, _ = measure(client, url, args.runs, htmx=True)
            figures = [
                1000 * statistics.median(page),
                1000 * percentile(page, 95),
                1000 * statistics.median(fragment),
                1000 * percentile(fragment, 95),
            ]
            print(
                f"{label:42}"
                + "".join(f"{ms:9.1f}" for ms in figures)
                + f"{f'{queries}/{fragment_queries}':>9}{cards:>9}"
            )
        if args.explain:
            print("\nQuery plans (page query, first page):")
            explain(alice, team)


if __name__ == "__main__":
    main()
