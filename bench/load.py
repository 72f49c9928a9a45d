"""Load-test the web app as N people using it at once would, and print its figures.

Starts the DashScope simulator, gunicorn and a real qcluster as the Procfile (`make run`) does,
on loopback with a fresh VAR_DIR and SQLite database, and creates N users, each with a history
of finished generations. Every user logs in through the login form, lands on the gallery (the
home page), and then for `--seconds`, in a thread of its own, as a browser tab would:

- submits the prompt form as htmx does (the form's own fields, a new prompt);
- refreshes each active card on the page when the card asks to (its `load delay:…ms` trigger;
  its `every 3s` one after a failed refresh) until it settles, then submits another prompt
  after a few seconds' thought;
- reloads the gallery page now and then, which, as in a browser, replaces the cards it polls.

It prints requests, errors (any unexpected status or exception, by kind), p50/p95/p99 latency
of the card fragment and of the gallery page as the users saw it and as gunicorn's access log
timed it, generations created and completed, the CPU time each process used, and the database
queries one card fragment and one gallery page cost. The machine's load average is printed too:
other work on it shows in every latency here.
Target: 0 errors, card fragment p95 under 100 ms on a 2-core machine.

Usage: .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--concurrency 2]
           [--history 30] [--think 5] [--gallery-every 20] [--keep]
       and, to try other settings than the Procfile's and settings.py's:
           [--workers N] [--threads N] [--keep-alive SECONDS] [--conn-max-age SECONDS]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._browser import Browser, Result  # noqa: E402
from bench._harness import (  # noqa: E402
    MODEL,
    PASSWORD,
    Stack,
    free_port,
    percentile,
    procfile_command,
    with_option,
)

SERVER_KINDS = {  # the access log's "method path" of each kind of request
    "card fragment": re.compile(r"GET /g/\d+/card/"),
    "gallery page": re.compile(r"GET /"),
}


def create_users(count: int, history: int) -> list[str]:
    """`count` users, each with `history` finished generations of one stored image."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from gallery.models import GeneratedImage, Generation

    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: it is the same for everyone
    users = User.objects.bulk_create(
        [User(username=f"user{i:03}", password=password) for i in range(count)]
    )
    now = timezone.now()
    generations = Generation.objects.bulk_create(
        [
            Generation(
                owner=user,
                model=MODEL,
                prompt=f"{user.username}'s earlier lighthouse, number {k}",
                width=1024,
                height=1024,
                seed=k,
                status=Generation.Status.SUCCEEDED,
                task_id=f"history-{user.pk}-{k}",
                created_at=now - timedelta(hours=k + 1),
                completed_at=now - timedelta(hours=k + 1) + timedelta(seconds=8),
                image_count=1,
            )
            for user in users
            for k in range(history)
        ]
    )
    GeneratedImage.objects.bulk_create(
        GeneratedImage(
            generation=g,
            index=0,
            original=f"generations/{g.pk}/0.png",
            thumbnail=f"generations/{g.pk}/0.webp",
            width=1024,
            height=1024,
            seed=g.seed,
        )
        for g in generations
    )
    return [user.username for user in users]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants so far (Linux /proc)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except OSError:
        pass  # it ended meanwhile
    return total


def queries_per_request(username: str) -> dict[str, int]:
    """Database queries one card fragment and one gallery page cost, counted in-process."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gallery.models import Generation

    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    pages = {"gallery page": "/"}
    for label, generations in (
        ("card fragment, done", Generation.objects.filter(status="SUCCEEDED")),
        ("card fragment, active", Generation.objects.active()),
    ):
        generation = generations.filter(owner=user).first()
        if generation:
            pages[label] = f"/g/{generation.pk}/card/"
    counted = {}
    for label, path in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers={"HX-Request": "true"} if "card" in path else {})
        assert response.status_code == 200, (path, response.status_code)
        counted[label] = len(queries)
    return counted


def latency_line(label: str, results: list[Result]) -> str:
    times = [r.seconds * 1000 for r in results if r.error is None]
    if not times:
        return f"{label}: no answers"
    return (
        f"{label}: {len(results)} requests, p50 {percentile(times, 50):.0f} ms, "
        f"p95 {percentile(times, 95):.0f} ms, p99 {percentile(times, 99):.0f} ms, "
        f"max {max(times):.0f} ms"
    )


def report(
    browsers: list[Browser],
    window: tuple[float, float],
    login_seconds: float,
    served_log: list[str],
) -> None:
    from gallery.models import Generation

    results = [r for b in browsers for r in b.results]
    start, end = window
    logins = [r for r in results if r.at < start]
    during = [r for r in results if r.at >= start]
    by_kind: dict[str, list[Result]] = {}
    for r in during:
        by_kind.setdefault(r.kind, []).append(r)
    errors = Counter(f"{r.kind}: {r.error}" for r in results if r.error)

    posts = [r for r in logins if r.kind == "login"]
    print(
        f"logging in: {len(browsers)} users in {login_seconds:.1f} s, {len(logins)} requests "
        f"({latency_line('login', posts)})"
    )
    print(
        f"requests: {len(results)} in all, {len(during)} in the {end - start:.0f} s window "
        f"({len(during) / (end - start):.0f}/s); errors: {sum(errors.values())} {dict(errors)}"
    )
    for kind in ("card fragment", "gallery page", "create (POST /)"):
        print("  " + latency_line(kind, by_kind.get(kind, [])))
    print("  the same in gunicorn's access log (from request read to response sent):")
    for kind, pattern in SERVER_KINDS.items():
        served = [line.rsplit(" ", 1) for line in served_log]
        times = [int(ms) / 1000 for request, ms in served if pattern.fullmatch(request)]
        print("    " + latency_line(kind, [Result(kind, t, None) for t in times]))

    created = [pk for b in browsers for pk in b.created]
    statuses = Counter(Generation.objects.filter(pk__in=created).values_list("status", flat=True))
    active = sum(statuses[s] for s in Generation.ACTIVE)
    print(
        f"generations: created {len(created)}, completed {statuses['SUCCEEDED']} "
        f"(seen done on their card {sum(len(b.seen_done) for b in browsers)}), "
        f"failed/cancelled {statuses['FAILED'] + statuses['CANCELED']}, still in flight {active} "
        f"{dict(sorted((s, n) for s, n in statuses.items() if s in Generation.ACTIVE))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="tasks DashScope runs at once for the account (2, as `make run`: most wait here)",
    )
    parser.add_argument("--history", type=int, default=30, help="finished generations per user")
    parser.add_argument("--think", type=float, default=5, help="mean seconds between prompts")
    parser.add_argument(
        "--gallery-every", type=float, default=20, help="mean seconds between gallery reloads"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads (default: the Procfile's)")
    parser.add_argument(
        "--keep-alive", type=int, help="gunicorn's --keep-alive seconds (default: the Procfile's)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="the web's CONN_MAX_AGE (default: the settings', 60)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the VAR_DIR (database, process logs)"
    )
    args = parser.parse_args()
    if args.keep:
        workdir = tempfile.mkdtemp(prefix="wanxweb-load-")
        run(args, Path(workdir))
        print(f"VAR_DIR, database and process logs kept in {workdir}")
    else:
        with tempfile.TemporaryDirectory(prefix="wanxweb-load-") as workdir:
            run(args, Path(workdir))


def run(args: argparse.Namespace, workdir: Path) -> None:
    simulator_port = free_port()
    stack = Stack(workdir, f"http://127.0.0.1:{simulator_port}/api/v1")
    stack.env.update(DASHSCOPE_CONCURRENCY=str(args.concurrency), DASHSCOPE_SIMULATED="true")
    try:
        simulator = procfile_command("simulator", SIMULATOR_PORT=str(simulator_port))
        simulator = with_option(simulator, "--concurrency-limit", str(args.concurrency))
        dashscope = stack.start_simulator(simulator, simulator_port)
        stack.setup_django()
        usernames = create_users(args.users, args.history)
        stack.start_worker()
        web = procfile_command("web", WEB_PORT=str(stack.web_port))
        for option, value in (
            ("--workers", args.workers),
            ("--threads", args.threads),
            ("--keep-alive", args.keep_alive),
        ):
            if value:
                web = with_option(web, option, str(value))
        shown = " ".join(web[2:])
        access_log = workdir / "access.log"  # gunicorn's own time per request, in ms
        web += ["--access-logfile", str(access_log), "--access-logformat", "%(m)s %(U)s %(M)s"]
        web_env = {}
        if args.conn_max_age is not None:
            web_env["CONN_MAX_AGE"] = str(args.conn_max_age)
        stack.start_web(web, **web_env)

        print(
            f"== {args.users} users for {args.seconds:g} s on {os.cpu_count()} CPUs: "
            f"{shown}"
            + (f" (CONN_MAX_AGE {args.conn_max_age})" if args.conn_max_age is not None else "")
            + f"; qcluster; simulator at concurrency {args.concurrency} "
            f"({' '.join(simulator[3:])}); {args.history} finished generations per user"
        )
        browsers = [Browser(stack.base_url, name, args) for name in usernames]
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:  # people arrive; each login hashes a password
            logged_in = list(pool.map(Browser.log_in, browsers))
        login_seconds = time.monotonic() - started

        processes = {name: p.pid for name, p in stack.processes.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        client_before = sum(os.times()[:2])
        load_before = os.getloadavg()[0]
        log_start = access_log.stat().st_size
        start = time.monotonic()
        threads = [
            threading.Thread(target=b.browse, args=(start + args.seconds,))
            for b, ok in zip(browsers, logged_in, strict=True)
            if ok
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end = time.monotonic()
        with access_log.open() as log:
            log.seek(log_start)
            served_log = log.read().splitlines()
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
        cpu["load client"] = sum(os.times()[:2]) - client_before
        served = sum(r.at >= start for b in browsers for r in b.results)

        report(browsers, (start, end), login_seconds, served_log)
        stats = dashscope.stats()
        print(
            f"simulator: {stats['submits']} submits, "
            f"{sum(stats['rejected'].values())} answered 429, "
            f"at most {stats['max_concurrent']} tasks at once"
        )
        print(
            "CPU seconds in the window: "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
            + f" (of {(end - start) * (os.cpu_count() or 1):.0f}), web "
            f"{cpu['web'] * 1000 / served:.1f} ms per request; 1-minute load average "
            f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the "
            "machine shows here)"
        )
        queries = queries_per_request(usernames[0])
        print("queries per request: " + ", ".join(f"{k} {n}" for k, n in queries.items()))
    finally:
        stack.stop_all()


if __name__ == "__main__":
    main()
