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
of the card fragment and of the gallery page, generations created and completed, the CPU time
each process used, and the database queries one card fragment and one gallery page cost.
Target (issue 4): 0 errors, card fragment p95 under 100 ms on a 2-core machine.

Usage: .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--concurrency 2]
           [--history 30] [--think 5] [--gallery-every 20] [--workers N] [--threads N]
"""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (  # noqa: E402
    MODEL,
    PASSWORD,
    Stack,
    free_port,
    htmx_headers,
    login_form,
    percentile,
    procfile_command,
    wait_for,
    with_option,
)

ARTICLE = re.compile(r"<article\b[^>]*>")
FAILED_REFRESH_SECONDS = 3.0  # the card's `every 3s` trigger, when a refresh was not swapped in


@dataclass
class Result:
    kind: str
    seconds: float
    error: str | None  # None when the answer was the expected one
    at: float = field(default_factory=time.monotonic)


class PromptForm(HTMLParser):
    """What submitting the prompt form (#prompt-form) in `page` would send, as it stands."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("id") == "prompt-form"
        if not self._inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.fields[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.fields:
                self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def cards_in(page: str) -> dict[int, tuple[str | None, int, str]]:
    """Each card in `page`: its refresh URL and delay in ms (None, 0 once it has settled) and
    its status."""
    cards = {}
    for tag in ARTICLE.findall(page):
        pk = re.search(r'id="generation-(\d+)"', tag)
        if not pk:
            continue
        url = re.search(r'hx-get="([^"]+)"', tag)
        delay = re.search(r"delay:(\d+)ms", tag)
        status = re.search(r'data-status="(\w+)"', tag)
        cards[int(pk[1])] = (
            html.unescape(url[1]) if url else None,
            int(delay[1]) if delay else 0,
            status[1] if status else "",
        )
    return cards


def failure(error: Exception) -> str:
    """An exception as the error breakdown names it: its type and its innermost cause's."""
    cause = error
    while cause.__context__ is not None or cause.args and isinstance(cause.args[-1], Exception):
        cause = cause.__context__ or cause.args[-1]
    if cause is error:
        return type(error).__name__
    return f"{type(error).__name__} ({type(cause).__name__})"


class Browser:
    """One person in one browser tab."""

    def __init__(self, base_url: str, username: str, args: argparse.Namespace) -> None:
        self.base_url = base_url
        self.username = username
        self.args = args
        self.rng = random.Random(username)
        self.session = requests.Session()
        self.results: list[Result] = []
        self.form: dict[str, str] = {}
        self.polling: dict[int, tuple[str, float]] = {}  # card -> (refresh URL, when)
        self.created: list[int] = []
        self.seen_done: set[int] = set()

    def call(self, kind: str, method: str, path: str, expect: int = 200, **kwargs):
        """One timed request; the response when it is the expected one, else None."""
        start = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base_url + path, allow_redirects=False, timeout=30, **kwargs
            )
        except requests.RequestException as error:
            self.results.append(Result(kind, time.perf_counter() - start, failure(error)))
            return None
        ok = response.status_code == expect
        error = None if ok else f"HTTP {response.status_code}"
        self.results.append(Result(kind, time.perf_counter() - start, error))
        return response if ok else None

    def log_in(self) -> bool:
        """Through the login form, to the gallery it sends you to."""
        if self.call("login page", "GET", "/accounts/login/") is None:
            return False
        data = login_form(self.session, self.username)
        if self.call("login", "POST", "/accounts/login/", expect=302, data=data) is None:
            return False
        return self.open_gallery()

    def open_gallery(self) -> bool:
        response = self.call("gallery page", "GET", "/")
        if response is None:
            return False
        self.form = PromptForm(response.text).fields
        now = time.monotonic()
        self.polling = {  # a page load replaces the cards and their timers
            pk: (url, now + delay / 1000)
            for pk, (url, delay, _) in cards_in(response.text).items()
            if url
        }
        return True

    def create(self) -> bool:
        data = {
            **self.form,
            "prompt": f"{self.username}'s lighthouse at dawn, take {len(self.created)}",
        }
        headers = htmx_headers(self.session, self.base_url, "prompt-form")
        response = self.call("create (POST /)", "POST", "/", data=data, headers=headers)
        if response is None:
            return False
        cards = cards_in(response.text)
        if not cards:  # the form came back with errors
            self.results[-1].error = "form rejected"
            return False
        self.form = PromptForm(response.text).fields
        now = time.monotonic()
        for pk, (url, delay, _) in cards.items():
            self.created.append(pk)
            if url:
                self.polling[pk] = (url, now + delay / 1000)
        return True

    def refresh(self, pk: int, url: str) -> None:
        target = f"generation-{pk}"
        headers = htmx_headers(self.session, self.base_url, target)
        response = self.call("card fragment", "GET", url, headers=headers)
        now = time.monotonic()
        card = cards_in(response.text).get(pk) if response is not None else None
        if card is None:
            self.polling[pk] = (url, now + FAILED_REFRESH_SECONDS)
            return
        next_url, delay, status = card
        if next_url:
            self.polling[pk] = (next_url, now + delay / 1000)
        else:
            del self.polling[pk]
            if status == "SUCCEEDED":
                self.seen_done.add(pk)

    def browse(self, deadline: float) -> None:
        """Until `deadline`: the next thing due, whichever it is."""
        rng, args = self.rng, self.args
        now = time.monotonic()
        next_page = now + rng.uniform(0.5, 1.5) * args.gallery_every
        next_create: float | None = now + rng.uniform(0, args.think)  # spread the first ones
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if next_create is None and not self.polling:  # all settled: think, then write
                next_create = now + rng.uniform(0.5, 1.5) * args.think
            due = [(next_page, "page")]
            if next_create is not None:
                due.append((next_create, "create"))
            if self.polling:
                pk = min(self.polling, key=lambda k: self.polling[k][1])
                due.append((self.polling[pk][1], "card"))
            at, action = min(due)
            if at > now:
                time.sleep(min(at, deadline) - now)
                continue
            if action == "card":
                self.refresh(pk, self.polling[pk][0])
            elif action == "create":
                next_create = None if self.create() else now + args.think
            else:
                self.open_gallery()
                next_page = time.monotonic() + rng.uniform(0.5, 1.5) * args.gallery_every


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


def report(browsers: list[Browser], window: tuple[float, float], login_seconds: float) -> None:
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
        help="the web's CONN_MAX_AGE, given in DATABASE_URL (default: the settings', 0)",
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
        stack.start("simulator", simulator)
        wait_for(f"http://127.0.0.1:{simulator_port}/_sim/stats", stack.processes["simulator"])
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
        web_env = {}
        if args.conn_max_age is not None:
            web_env["DATABASE_URL"] = (
                f"{stack.env['DATABASE_URL']}?conn_max_age={args.conn_max_age}"
            )
        stack.start_web(web, **web_env)

        print(
            f"== {args.users} users for {args.seconds:g} s on {os.cpu_count()} CPUs: "
            f"{' '.join(web[2:])}"
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
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
        cpu["load client"] = sum(os.times()[:2]) - client_before
        served = sum(r.at >= start for b in browsers for r in b.results)

        report(browsers, (start, end), login_seconds)
        stats = requests.get(f"http://127.0.0.1:{simulator_port}/_sim/stats", timeout=5).json()
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
