"""Benchmark the usage pages over a month of 10,000 ledger entries; print the figures.

Creates a fresh SQLite database in a temporary folder (WAL, as in production) with TIME_ZONE
Asia/Shanghai, fills December 2026 with 10,000 ledger entries (bulk_create: five people, three
teams and private work, four models, one without a price, spread evenly over the month in that
zone), checks that each page's figures equal the ledger's (summed in Python from the rows), then
requests each page (mine, a team's as its owner, everyone's as staff) through Django's test
client (the view, its queries and its templates; no network) and prints p50/p95 and the queries
a request. Target (issue 14): at most 10 queries and under 150 ms p95 a page.

Usage: .venv/bin/python bench/usage_pages.py [--entries 10000] [--runs 200]
Needs the collected static files (`manage.py collectstatic`), like the pages themselves.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import percentile, setup_django  # noqa: E402

DECEMBER = {"since": "2026-12-01", "until": "2026-12-31"}
MODELS = [("wan2.7-image", "0.2"), ("wan2.6-t2i", "0.2"), ("wanx2.1-t2i-turbo", "0.14")]
UNPRICED = "qwen-image-3.0"
MOST_QUERIES, MOST_P95_MS = 10, 150


def fill(count: int, seed: int = 14):
    """Five people in three teams; a tenth of the work private, a twentieth unpriced."""
    from django.contrib.auth import get_user_model

    from gallery.models import Role, Team, UsageEntry

    rng = random.Random(seed)
    User = get_user_model()
    people = [User.objects.create_user(name) for name in ("alice", "bob", "carol", "dave", "erin")]
    staff = User.objects.create_user("root", is_staff=True)
    teams = [
        Team.create(name, owner=owner)
        for name, owner in zip(
            ("Lighthouse keepers", "Night shift", "Posters"), people, strict=False
        )
    ]
    for team in teams:
        for person in people:
            if team.role_of(person) is None:
                team.memberships.create(user=person, role=Role.MEMBER)
    start = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 1 December, midnight in Shanghai
    entries = []
    for i in range(count):
        model, price = (UNPRICED, None) if rng.random() < 0.05 else rng.choice(MODELS)
        images = rng.randint(1, 4)
        entries.append(
            UsageEntry(
                user=rng.choice(people),
                team=None if rng.random() < 0.1 else rng.choice(teams),
                model=model,
                region="cn-beijing",
                images=images,
                unit_price=price and Decimal(price),
                cost=price and Decimal(price) * images,
                billed_at=start + timedelta(seconds=(i + 0.5) * 31 * 86400 / count),
            )
        )
    UsageEntry.objects.bulk_create(entries, batch_size=2000)
    return people[0], teams[0], staff


def ledger(**filters) -> tuple[int, Decimal]:
    """The ledger's December (Shanghai) for `filters`, summed in Python, row by row."""
    from gallery.models import UsageEntry

    rows = UsageEntry.objects.filter(
        billed_at__gte=datetime(2026, 11, 30, 16, tzinfo=UTC),
        billed_at__lt=datetime(2026, 12, 31, 16, tzinfo=UTC),
        **filters,
    ).values_list("images", "cost")
    return sum(images for images, _ in rows), sum((cost for _, cost in rows if cost), Decimal(0))


def measure(client, url: str, runs: int) -> tuple[list[float], int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm the caches: templates, SQLite pages
        client.get(url, DECEMBER)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url, DECEMBER)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, DECEMBER)
    return times, len(queries), response.content.decode()


def figures_of(filters: dict, people: bool, teams: bool):
    """What the page's figures come from (gallery/usage_report.py), for December."""
    from gallery import usage_report
    from gallery.models import UsageEntry

    december = usage_report.Period(date(2026, 12, 1), date(2026, 12, 31))
    entries = UsageEntry.objects.filter(**filters)
    return usage_report.report(entries, december, people=people, teams=teams)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wanxweb-usage-bench-") as tmp:
        setup_django(Path(tmp), TIME_ZONE="Asia/Shanghai")
        from django.test import Client
        from django.urls import reverse

        began = time.perf_counter()
        alice, team, staff = fill(args.entries)
        print(f"{args.entries:,} ledger entries created in {time.perf_counter() - began:.1f} s")
        team_url = reverse("gallery:team_usage", args=[team.pk])
        pages = [  # label, reader, URL, its entries, whether per person, per team
            ("mine (alice)", alice, reverse("gallery:usage"), {"user": alice}, False, False),
            ("team, as its owner", alice, team_url, {"team": team}, True, False),
            ("everyone's, as staff", staff, reverse("gallery:usage_all"), {}, True, True),
        ]
        print(f"\n{args.runs} requests each, after 3 to warm up; times in ms\n")
        print(
            f"{'page':24}{'p50':>8}{'p95':>8}{'queries':>9}{'images':>9}{'cost (CNY)':>14}  ledger"
        )
        failed = False
        for label, reader, url, filters, people, teams in pages:
            client = Client()
            client.force_login(reader)
            times, queries, body = measure(client, url, args.runs)
            report = figures_of(filters, people, teams)
            p50, p95 = 1000 * statistics.median(times), 1000 * percentile(times, 95)
            figures = (report.total.images, report.total.cost)
            same = f"<strong>{report.total.cost:.2f}</strong>" in body
            same &= figures == ledger(**filters) and all(
                (line.images, line.cost) == ledger(model=line.label, **filters)
                for line in report.models
            )
            failed |= not same or queries > MOST_QUERIES or p95 >= MOST_P95_MS
            print(
                f"{label:24}{p50:8.1f}{p95:8.1f}{queries:9}{figures[0]:9,}{figures[1]:14,.2f}"
                f"  {'equal' if same else 'DIFFERENT'}"
            )
        print(f"\ntarget: at most {MOST_QUERIES} queries, p95 under {MOST_P95_MS} ms, equal")
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
