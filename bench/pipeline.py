"""Benchmark the submit/poll/download pipeline end to end and print its figures.

Starts the DashScope simulator, gunicorn and a real qcluster on a fresh SQLite database in a
temporary folder, creates generations through HTTP as logged-in users would, and measures:

1. completion lag on each of DashScope's two protocols (wanx2.1-t2i-turbo on text2image,
   wan2.7-image on image-generation): the simulator's task end -> the images visible in the
   card fragment (refreshed when the card asks to, as htmx does), p50/p95, part by part, and the
   task queries spent per task; beside them the official SDK's own `wait()` (ImageSynthesis,
   ImageGeneration) on tasks of the same simulated timings: its lag (task end -> wait()
   returns) and its queries per task;
2. slot use at the real concurrency limits: 429s and the longest idle slot;
3. 100 generations created at once with the limit raised to 100: time until all are
   submitted and until all are stored, and 429s.

Usage: .venv/bin/python bench/pipeline.py [--generations 24] [--sdk-tasks 24] [--in-flight 100]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (  # noqa: E402
    KEY,
    PASSWORD,
    Stack,
    create,
    logged_in_session,
    percentile,
    simulated_stack,
)
from gallery import polling  # noqa: E402
from gallery.dashscope.simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from gallery.dashscope.simulator.models import limits  # noqa: E402
from tests.harness import wait_until  # noqa: E402


@dataclass(frozen=True)
class Protocol:
    name: str
    model: str
    size: str


PROTOCOLS = [
    Protocol("text2image", "wanx2.1-t2i-turbo", "1024*1024"),
    Protocol("image-generation", "wan2.7-image", "1K"),
]


@dataclass
class Figures:
    """Completion lags (s) and task queries, one of each per task."""

    lags: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"p50 {statistics.median(self.lags):.2f} s, p95 {percentile(self.lags, 95):.2f} s, "
            f"max {max(self.lags):.2f} s; queries per task mean "
            f"{statistics.mean(self.queries):.2f} (max {max(self.queries)})"
        )


def spread(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"max {max(values):.2f} s"
    )


def watch_card(session: requests.Session, base_url: str, pk: int, seen: dict[int, float]) -> None:
    """Refresh the card fragment when it asks to (its htmx trigger) until it shows an image."""
    url = f"{base_url}/g/{pk}/card/"
    while True:
        try:
            html = session.get(url).text
        except requests.ConnectionError:  # a dropped keep-alive connection: htmx asks again
            continue
        if "<img" in html:
            seen[pk] = time.time()
            return
        delay = re.search(r"delay:(\d+)ms", html)
        if not delay:
            return  # terminal without images
        time.sleep(int(delay[1]) / 1000)


def wait_until_done(pks: list[int], timeout: float = 600) -> None:
    from gallery.models import Generation

    active = Generation.objects.filter(pk__in=pks).active()
    wait_until(lambda: not active.exists(), timeout, "generations did not finish", every=0.5)


def idle_slot_gaps(tasks: list[dict], limit: int) -> list[float]:
    """For each submit that had to wait for a slot: seconds the slot stood free before it."""
    submits = sorted(t["submitted_at"] for t in tasks)
    ends = sorted(t["ended_at"] for t in tasks)
    return [max(0.0, submits[k] - ends[k - limit]) for k in range(limit, len(submits))]


def sdk_measured(simulator: SimulatorServer, protocol: Protocol, count: int) -> Figures:
    """Run the official SDK's async_call + wait() on `count` tasks of `protocol`'s model, as
    many at once as its concurrency limit lets; the lag is task end -> wait() returns."""
    import dashscope
    from dashscope import ImageSynthesis
    from dashscope.aigc.image_generation import ImageGeneration

    dashscope.base_http_api_url = simulator.base_url
    simulator.reset()
    returned: dict[str, float] = {}

    def one(i: int) -> None:
        prompt = f"sdk {i}"
        if protocol.name == "text2image":
            api = ImageSynthesis
            task = api.async_call(
                model=protocol.model, prompt=prompt, n=1, size=protocol.size, api_key=KEY
            )
        else:
            api = ImageGeneration
            messages = [{"role": "user", "content": [{"text": prompt}]}]
            task = api.async_call(
                model=protocol.model, messages=messages, n=1, size=protocol.size, api_key=KEY
            )
        done = api.wait(task, api_key=KEY)
        returned[task.output.task_id] = time.time()
        assert done.output.task_status == "SUCCEEDED", done

    with ThreadPoolExecutor(limits(protocol.model).concurrency) as pool:
        list(pool.map(one, range(count)))
    stats = simulator.stats()
    figures = Figures()
    for task_id, task in stats["tasks"].items():
        figures.lags.append(returned[task_id] - task["ended_at"])
        figures.queries.append(stats["gets_by_task"][task_id])
    return figures


def make_and_watch(
    stack: Stack, sessions: list[requests.Session], protocol: Protocol, prompts: list[str]
) -> tuple[list[int], dict[int, float]]:
    """Create one generation per prompt, taking turns between the users, and watch each card
    until it shows its images; their ids, and when each card showed them."""
    seen: dict[int, float] = {}
    pks, watchers = [], []
    for i, prompt in enumerate(prompts):
        session = sessions[i % len(sessions)]
        pk = create(session, stack.base_url, prompt, protocol.model, protocol.size)
        pks.append(pk)
        watcher = threading.Thread(target=watch_card, args=(session, stack.base_url, pk, seen))
        watcher.start()
        watchers.append(watcher)
    for watcher in watchers:
        watcher.join(600)
    return pks, seen


def scenario_lag(
    stack: Stack, simulator: SimulatorServer, protocol: Protocol, generations: int
) -> Figures:
    """The lag of a deployment that has seen the model's tasks before: its polls are timed
    from the durations of the model's last polling.HISTORY tasks, so as many run first. Of
    those, a fresh installation's first round (as many as DashScope runs at once) has none to
    go by: it is shown apart."""
    from gallery.models import Generation

    simulator.reset()
    stack.start_worker()
    sessions = [logged_in_session(stack.base_url, f"user{i}") for i in range(4)]
    limit = limits(protocol.model).concurrency
    first_round = [f"first round {protocol.name} {i}" for i in range(limit)]
    first_pks, first_seen = make_and_watch(stack, sessions, protocol, first_round)
    history = [f"history {protocol.name} {i}" for i in range(polling.HISTORY - limit)]
    make_and_watch(stack, sessions, protocol, history)
    start = time.time()
    prompts = [f"lag test {protocol.name} {i}" for i in range(generations)]
    pks, seen = make_and_watch(stack, sessions, protocol, prompts)
    drained = time.time() - start
    stack.stop("qcluster")

    stats = simulator.stats()
    by_prompt = {t["prompt"]: (task_id, t) for task_id, t in stats["tasks"].items()}
    ours, stored_lags, sdk = Figures(), [], []
    parts: dict[str, list[float]] = {name: [] for name in PARTS}
    for generation in Generation.objects.filter(pk__in=pks):
        task_id, task = by_prompt[generation.prompt]
        ended, stored = task["ended_at"], generation.completed_at.timestamp()
        ours.lags.append(seen[generation.pk] - ended)
        ours.queries.append(stats["gets_by_task"][task_id])
        stored_lags.append(stored - ended)
        sdk.append(polling.sdk_queries_until(ended - task["submitted_at"]))
        moments = [ended, task["last_queried_at"], task["first_downloaded_at"], stored]
        moments.append(seen[generation.pk])
        for name, before, after in zip(PARTS, moments, moments[1:], strict=False):
            parts[name].append(after - before)
    measured = [t for t in stats["tasks"].values() if t["prompt"].startswith("lag test")]
    gaps = idle_slot_gaps(measured, limit)
    first_lags = [
        first_seen[g.pk] - by_prompt[g.prompt][1]["ended_at"]
        for g in Generation.objects.filter(pk__in=first_pks)
    ]
    statuses = sorted(set(Generation.objects.filter(pk__in=pks).values_list("status", flat=True)))

    config = simulator.config
    print(
        f"\n== {protocol.model} ({protocol.name} protocol): {generations} generations, 4 users, "
        f"concurrency limit {limit} (simulated task: {config.pending_seconds:g} s pending + "
        f"{config.running_seconds:g}±{config.running_jitter:g} s running)"
    )
    print(f"statuses: {statuses}; drained in {drained:.1f} s")
    print(
        f"a fresh installation's first {limit} tasks (no durations to go by yet), "
        f"task end -> card: {spread(first_lags)}"
    )
    print(f"completion lag, task end -> images visible in the card: {spread(ours.lags)}")
    print(f"completion lag, task end -> images stored:             {spread(stored_lags)}")
    for name, values in parts.items():
        print(f"  {name:<42} {spread(values)}")
    print(
        f"task queries per task: wanxweb mean {statistics.mean(ours.queries):.2f} "
        f"(max {max(ours.queries)}), SDK wait() policy on the same tasks mean "
        f"{statistics.mean(sdk):.2f} (max {max(sdk)}); tasks where wanxweb spent more: "
        f"{sum(o > s for o, s in zip(ours.queries, sdk, strict=True))}"
    )
    print(
        f"429 answers: {sum(stats['rejected'].values())} {dict(stats['rejected'])}; "
        f"max tasks at DashScope at once: {stats['max_concurrent']}"
    )
    if gaps:
        print(f"idle slot before a waiting submit: {spread(gaps)}")
    return ours


# wanxweb's lag from task end to card, in the order it is spent.
PARTS = [
    "task end -> a query finds it done",
    "-> its store job downloads the image (q2)",
    "-> images stored (download, thumbnail)",
    "-> visible in the card (its next refresh)",
]


def scenario_in_flight(stack: Stack, simulator: SimulatorServer, count: int) -> None:
    from gallery.models import Generation

    simulator.reset()
    simulator.config.concurrency_limit = count
    simulator.config.submit_rate = 0
    stack.start_worker(DASHSCOPE_CONCURRENCY=str(count), DASHSCOPE_SUBMIT_RATE="100")
    sessions = [logged_in_session(stack.base_url, f"user{i}") for i in range(4)]
    base_url = stack.base_url
    start = time.time()
    with ThreadPoolExecutor(8) as pool:
        pks = list(
            pool.map(lambda i: create(sessions[i % 4], base_url, f"in flight {i}"), range(count))
        )
    created = time.time() - start
    wait_until_done(pks)
    drained = time.time() - start
    stack.stop("qcluster")

    stats = simulator.stats()
    submits = sorted(t["submitted_at"] for t in stats["tasks"].values())
    statuses = Generation.objects.filter(pk__in=pks).values_list("status", flat=True)
    print(f"\n== {count} generations created at once, concurrency limit {count}, 2 workers")
    print(
        f"created through HTTP in {created:.1f} s; all submitted {submits[-1] - start:.1f} s "
        f"after the first create; all stored after {drained:.1f} s"
    )
    print(
        f"submits {stats['submits']} (one per generation: {stats['submits'] == count}); "
        f"succeeded {sum(s == 'SUCCEEDED' for s in statuses)}/{count}; "
        f"429 answers: {sum(stats['rejected'].values())}; "
        f"max tasks at DashScope at once: {stats['max_concurrent']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=24)
    parser.add_argument("--sdk-tasks", type=int, default=24)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args()

    config = SimulatorConfig(pending_seconds=1.0, running_seconds=3.0, running_jitter=1.0)
    with simulated_stack(config) as (simulator, stack):
        from django.contrib.auth import get_user_model

        for i in range(4):
            get_user_model().objects.create_user(f"user{i}", password=PASSWORD)
        stack.start_web()

        results = []
        for protocol in PROTOCOLS:
            sdk = sdk_measured(simulator, protocol, args.sdk_tasks)
            ours = scenario_lag(stack, simulator, protocol, args.generations)
            print(f"the official SDK's wait() on {len(sdk.lags)} tasks: {sdk.summary()}")
            results.append((protocol, ours, sdk))

        print("\n== completion lag (task end -> images in the card | wait() returns)")
        print(f"{'':<36}{'wanxweb card':<44}official SDK wait()")
        for protocol, ours, sdk in results:
            print(f"{protocol.model + ' (' + protocol.name + ')':<36}{side(ours):<44}{side(sdk)}")

        if args.in_flight:
            scenario_in_flight(stack, simulator, args.in_flight)


def side(figures: Figures) -> str:
    return (
        f"p50 {statistics.median(figures.lags):.2f} s  p95 {percentile(figures.lags, 95):.2f} s  "
        f"{statistics.mean(figures.queries):.2f} q/task"
    )


if __name__ == "__main__":
    main()
