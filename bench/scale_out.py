"""Run one burst of generations on both of wanxweb's configurations and print them side by side.

The configurations:
- default: SQLite, django-q2's ORM broker, images in a local folder (MEDIA_ROOT);
- scale-out: PostgreSQL (a scratch database, dropped afterwards), django-q2's Redis broker and
  Redis cache, images in S3 object storage (moto's S3 server with a fresh bucket, as `make test`
  uses it).

Each configuration gets a fresh deployment. This process runs what the app talks to: the DashScope
simulator (1 s pending, 2±1 s running, `--concurrency` tasks at once, `--submit-rate` submits a
second; the app is told the same limits) and, for scale-out, the S3 server, the scratch database
and a queue name of its own. A subprocess (Django is set up once per process) runs one gunicorn
as the Procfile does, `--qclusters` qclusters sharing the queue, and the people: `--users` log in
through the login form, post `--generations` prompts through HTTP as fast as they can, and each
card is refreshed when it asks to (its htmx delay) until it shows its image, as in pipeline.py.

Per configuration: time to create the generations and to drain (first post -> last image visible
in its card), the DashScope submits (one per generation) and task queries (GETs), 429 answers,
the completion lag (the simulator's task end -> the image visible in the card) p50/p95/max and
where it goes (till the images are stored; till the job storing them is queued, then done), the
images stored (their files counted in the storage itself), the CPU seconds each part used in
that time (web, workers, PostgreSQL and Redis, and this benchmark's own: the people, the simulator
and the S3 server), and the load average at the end. Then the configurations side by side.

Usage: .venv/bin/python bench/scale_out.py [--generations 200] [--users 10] [--concurrency 20]
           [--submit-rate 10] [--qclusters 2] [--only default|scale-out]
PostgreSQL and Redis are the machine's (127.0.0.1) unless DATABASE_URL / REDIS_URL say otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import posixpath
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (  # noqa: E402
    PASSWORD,
    Stack,
    create,
    logged_in_session,
    percentile,
    procfile_command,
)
from bench.load import cpu_seconds  # noqa: E402
from bench.pipeline import wait_until_done, watch_card  # noqa: E402
from gallery.dashscope.simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from tests.scale_out import object_storage, scale_out_env  # noqa: E402

CONFIGURATIONS = {
    "default": "SQLite, ORM broker, local files",
    "scale-out": "PostgreSQL, Redis broker and cache, S3",
}
# What turns the scale-out parts on: the default run goes without, whatever the shell has set.
SCALE_OUT_VARIABLES = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME")


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of `server_url`; yields its URL."""
    import psycopg

    name = f"wanxweb_bench_{uuid.uuid4().hex[:12]}"
    maintenance = urlsplit(server_url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            # FORCE: processes of an interrupted run may still be connected.
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def scale_out_services(queue: str) -> Iterator[dict[str, str]]:
    """The scale-out settings: a scratch database, Redis, and a bucket on a fresh S3 server."""
    import redis

    # moto's server would log every request the app makes to it here, among the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    services = scale_out_env()
    with object_storage() as storage, scratch_database(services["DATABASE_URL"]) as database:
        try:
            yield {**services, **storage, "DATABASE_URL": database}
        finally:  # what an interrupted run left queued would stay in the shared Redis for good
            client = redis.Redis.from_url(services["REDIS_URL"])
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)


def run_configuration(name: str, args: argparse.Namespace) -> dict[str, str]:
    """Start what the configuration talks to (DashScope, and its database, Redis and S3) here,
    and its web, workers and users in a subprocess; that subprocess's figures."""
    simulator = SimulatorServer(
        config=SimulatorConfig(
            pending_seconds=1.0,
            running_seconds=2.0,
            running_jitter=1.0,
            concurrency_limit=args.concurrency,
            submit_rate=args.submit_rate,
        )
    )
    config = simulator.config
    print(
        f"\n== {name} ({CONFIGURATIONS[name]}); simulator: {config.pending_seconds:g} s pending"
        f" + {config.running_seconds:g}±{config.running_jitter:g} s running, concurrency limit"
        f" {config.concurrency_limit}, {config.submit_rate:g} submits/s",
        flush=True,
    )
    queue = f"bench-{uuid.uuid4().hex[:12]}"  # a test run sharing Redis must not take its jobs
    env = {
        **{k: v for k, v in os.environ.items() if k not in SCALE_OUT_VARIABLES},
        "QUEUE_NAME": queue,
        "DASHSCOPE_CONCURRENCY": str(args.concurrency),
        "DASHSCOPE_SUBMIT_RATE": str(args.submit_rate),
    }
    with ExitStack() as services, tempfile.TemporaryDirectory() as folder:
        simulator.start()
        services.callback(simulator.stop)
        if name == "scale-out":
            env |= services.enter_context(scale_out_services(queue))
        figures = Path(folder) / "figures.json"
        command = [sys.executable, __file__, *sys.argv[1:], "--run", name]
        child = subprocess.Popen(
            [*command, "--simulator", simulator.base_url, "--figures", str(figures)], env=env
        )
        try:
            child.wait()
        except KeyboardInterrupt:
            child.wait()  # it had the Ctrl-C too, and is stopping its processes
            raise
        if child.returncode:
            sys.exit(f"the {name} run failed (exit status {child.returncode})")
        return json.loads(figures.read_text())


def run(name: str, simulator_url: str, args: argparse.Namespace) -> dict[str, str]:
    """The scenario, on a fresh stack stopped however the run ends."""
    with tempfile.TemporaryDirectory(prefix="wanxweb-scale-out-") as workdir:
        # The parent's scratch PostgreSQL database, or else the stack's own SQLite one.
        database = {"DATABASE_URL": os.environ["DATABASE_URL"]} if name == "scale-out" else {}
        stack = Stack(Path(workdir), simulator_url, env=database)
        try:
            stack.setup_django()
            return measure(stack, simulator_url, args)
        finally:
            stack.stop_all()


def files_in(storage, path: str = "") -> int:
    """How many files `storage` holds under `path`, in any folder."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:  # a local storage nothing was saved to yet
        return 0
    return len(files) + sum(files_in(storage, posixpath.join(path, f)) for f in folders)


def cpu_by_part(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part: the deployment's processes (its database's server
    processes and Redis too), the people (this process) and DashScope and S3 (the parent's own)."""
    from django.conf import settings
    from django.db import connection

    parts = {
        "web": cpu_seconds(stack.processes["web"].pid),
        "workers": sum(cpu_seconds(p.pid) for n, p in stack.processes.items() if n != "web"),
        "people": sum(os.times()[:2]),
        "simulator": cpu_seconds(os.getppid()) - cpu_seconds(os.getpid()),
    }
    if connection.vendor == "postgresql":  # one server process per connection to our database
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            parts |= {f"postgres {pid}": cpu_seconds(pid) for (pid,) in cursor.fetchall()}
    if settings.REDIS_URL:  # shared with whatever else uses it meanwhile
        import redis

        pid = redis.Redis.from_url(settings.REDIS_URL).info("server")["process_id"]
        parts["redis"] = cpu_seconds(pid)
    return parts


def cpu_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, str]:
    used = {part: seconds - before.get(part, 0.0) for part, seconds in after.items()}
    postgres = sum(seconds for part, seconds in used.items() if part.startswith("postgres"))
    return {
        "CPU s: web / workers": f"{used['web']:.0f} / {used['workers']:.0f}",
        "CPU s: PostgreSQL / Redis": (
            f"{postgres:.0f} / {used['redis']:.0f}" if "redis" in used else "in web, workers"
        ),
        "CPU s: people / DashScope (+ S3)": f"{used['people']:.0f} / {used['simulator']:.0f}",
    }


def measure(stack: Stack, simulator_url: str, args: argparse.Namespace) -> dict[str, str]:
    from django.contrib.auth import get_user_model

    usernames = [f"user{i}" for i in range(args.users)]
    for username in usernames:
        get_user_model().objects.create_user(username, password=PASSWORD)
    web = procfile_command("web", WEB_PORT=str(stack.web_port))
    stack.start_web(web)
    for i in range(args.qclusters):  # before the logins, so they are up for the first post
        stack.start_worker(f"qcluster-{i + 1}")
    print(
        f"{args.generations} generations by {args.users} users; {' '.join(web[2:])} and "
        f"{args.qclusters} qclusters",
        flush=True,
    )

    seen: dict[int, float] = {}  # generation -> when its card first showed an image
    watchers: list[threading.Thread] = []

    def log_in(username: str) -> requests.Session:
        session = logged_in_session(stack.base_url, username)
        # A browser's six connections to a host, shared by the tab's requests.
        session.mount("http://", HTTPAdapter(pool_maxsize=6, pool_block=True))
        return session

    def watch(session: requests.Session, pk: int) -> None:
        """watch_card, and again 3 s after a failed refresh, as the card's `every 3s` would: a
        browser too retries a request whose kept-alive connection the server just closed."""
        while True:
            try:
                return watch_card(session, stack.base_url, pk, seen)
            except requests.ConnectionError:
                time.sleep(3)

    def post_share(user: int, session: requests.Session) -> list[int]:
        """This user's prompts, posted one after another, each card watched from then on."""
        pks = []
        for i in range(user, args.generations, args.users):
            pks.append(create(session, stack.base_url, f"scale-out bench picture {i}"))
            watcher = threading.Thread(target=watch, args=(session, pks[-1]), daemon=True)
            watcher.start()
            watchers.append(watcher)
        return pks

    with ThreadPoolExecutor(args.users) as pool:
        sessions = list(pool.map(log_in, usernames))
        cpu_before = cpu_by_part(stack)
        start = time.time()
        shares = list(pool.map(post_share, range(args.users), sessions))
    created = time.time() - start
    pks = [pk for share in shares for pk in share]
    wait_until_done(pks)
    for watcher in watchers:  # a card shows its image at its next refresh: within seconds
        watcher.join(10)
    cpu = cpu_figures(cpu_before, cpu_by_part(stack))
    return {
        "created through HTTP (s)": f"{created:.1f}",
        "drained: last image visible (s)": f"{max(seen.values(), default=start) - start:.1f}",
        **figures(pks, seen, requests.get(urljoin(simulator_url, "/_sim/stats")).json()),
        **cpu,
        "load average 1/5/15 min": " ".join(f"{value:.1f}" for value in os.getloadavg()),
    }


def figures(pks: list[int], seen: dict[int, float], stats: dict) -> dict[str, str]:
    """What DashScope saw, how soon each image was stored and shown, and what storage holds."""
    from django.core.files.storage import default_storage
    from django_q.models import Task

    from gallery.models import GeneratedImage, Generation

    ended = {task["prompt"]: task["ended_at"] for task in stats["tasks"].values()}
    generations = Generation.objects.filter(pk__in=pks)
    task_end = {pk: ended[prompt] for pk, prompt in generations.values_list("pk", "prompt")}
    lags = [seen[pk] - task_end[pk] for pk in seen]
    stored = [
        completed_at.timestamp() - task_end[pk]
        for pk, completed_at in generations.filter(completed_at__isnull=False).values_list(
            "pk", "completed_at"
        )
    ]
    # Where the time to stored goes: till the job storing the images is queued (the dispatcher saw
    # the task end), and from then (q2's `started`) until the job is done.
    jobs = {  # latest first, so each generation keeps its first job
        job.args[0]: job
        for job in Task.objects.filter(func="gallery.tasks.store_results").order_by("-started")
    }
    queued = [jobs[pk].started.timestamp() - task_end[pk] for pk in pks if pk in jobs]
    runs = [(jobs[pk].stopped - jobs[pk].started).total_seconds() for pk in pks if pk in jobs]
    gets = list(stats["gets_by_task"].values())
    rejected = stats["rejected"]  # by error code: no free slot, or over the submit rate
    by_code = [f"{code} {count}" for code, count in rejected.items()]
    statuses = Counter(generations.values_list("status", flat=True))
    images = GeneratedImage.objects.filter(generation__in=pks).exclude(original="").count()
    return {
        "statuses": ", ".join(f"{status} {count}" for status, count in statuses.items()),
        "DashScope submits (generations)": f"{stats['submits']} ({len(pks)})",
        "DashScope GETs": str(stats["gets"]),
        "GETs per task, mean (max)": f"{statistics.mean(gets):.2f} ({max(gets)})" if gets else "-",
        "429 answers": f"{sum(rejected.values())} {', '.join(by_code)}".strip(),
        "max tasks at DashScope at once": str(stats["max_concurrent"]),
        "images visible in their cards": str(len(seen)),
        "completion lag p50 (s)": f"{statistics.median(lags):.2f}" if lags else "-",
        "completion lag p95 (s)": f"{percentile(lags, 95):.2f}" if lags else "-",
        "completion lag max (s)": f"{max(lags):.2f}" if lags else "-",
        "lag to stored, p50 / p95 (s)": p50_p95(stored),
        "store job queued after task end, p50 / p95 (s)": p50_p95(queued),
        "store job queued -> done, p50 / p95 (s)": p50_p95(runs),
        "images stored (files in storage)": f"{images} ({files_in(default_storage)})",
    }


def p50_p95(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {percentile(values, 95):.2f}" if values else "-"


def print_table(columns: dict[str, dict[str, str]]) -> None:
    labels = list(next(iter(columns.values())))
    width = max(map(len, labels))
    widths = {name: max(len(name), *map(len, column.values())) for name, column in columns.items()}
    print(f"{'':{width}}  " + "  ".join(f"{name:>{widths[name]}}" for name in columns))
    for label in labels:
        cells = (f"{column[label]:>{widths[name]}}" for name, column in columns.items())
        print(f"{label:{width}}  " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--submit-rate", type=float, default=10.0)
    parser.add_argument("--qclusters", type=int, default=2)
    parser.add_argument("--only", choices=CONFIGURATIONS)
    for internal in ("--run", "--simulator", "--figures"):  # from the parent to its subprocess
        parser.add_argument(internal, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:
        Path(args.figures).write_text(json.dumps(run(args.run, args.simulator, args)))
        return
    columns = {}
    for name in [args.only] if args.only else CONFIGURATIONS:
        columns[name] = run_configuration(name, args)
        print_table({name: columns[name]})
    if len(columns) > 1:
        print(f"\n== side by side: {args.generations} generations by {args.users} users")
        print_table(columns)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # everything it started is stopped by now
        sys.exit(130)
