"""Benchmark the submit/poll/download pipeline end to end and print its figures.

Starts the DashScope simulator, gunicorn and a real qcluster on a fresh SQLite database in a
temporary folder, creates generations through HTTP as logged-in users would, and measures:

1. completion lag: the simulator's task end -> the images visible in the card fragment
   (polled at the card's own htmx interval), p50/p95, and the task queries spent per task
   next to what the official SDK's wait() spends on the same tasks (modelled, and measured
   by running the SDK itself against the simulator);
2. slot use at the real concurrency limit of 2: 429s and the longest idle slot;
3. 100 generations created at once with the limit raised to 100: time until all are
   submitted and until all are stored, and 429s.

Usage: .venv/bin/python bench/pipeline.py [--generations 24] [--in-flight 100]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import KEY, PASSWORD, Stack, create, logged_in_session, percentile  # noqa: E402
from gallery.dashscope.simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from gallery.polling import sdk_queries_until  # noqa: E402
from tests.harness import wait_until  # noqa: E402


def watch_card(session: requests.Session, base_url: str, pk: int, seen: dict[int, float]) -> None:
    """Refresh the card fragment when it asks to (its htmx trigger) until it shows an image."""
    url = f"{base_url}/g/{pk}/card/"
    while True:
        html = session.get(url).text
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


def sdk_measured(simulator: SimulatorServer, count: int) -> list[tuple[float, int]]:
    """Run the official SDK's async_call + wait() on `count` tasks; (duration, queries) each."""
    import dashscope
    from dashscope import ImageSynthesis

    dashscope.base_http_api_url = simulator.base_url
    simulator.reset()

    def one(i: int) -> None:
        task = ImageSynthesis.async_call(
            model="wanx2.1-t2i-turbo", prompt=f"sdk {i}", n=1, size="1024*1024", api_key=KEY
        )
        ImageSynthesis.wait(task, api_key=KEY)

    for i in range(count):  # one at a time, as the concurrency limit would have it
        one(i)
    stats = simulator.stats()
    return [
        (t["ended_at"] - t["submitted_at"], stats["gets_by_task"][task_id])
        for task_id, t in stats["tasks"].items()
    ]


def scenario_lag(stack: Stack, simulator: SimulatorServer, generations: int) -> None:
    from gallery.models import Generation

    simulator.reset()
    stack.start_worker()
    sessions = [logged_in_session(stack.base_url, f"user{i}") for i in range(4)]
    seen: dict[int, float] = {}
    watchers = []
    start = time.time()
    pks = []
    for i in range(generations):
        session = sessions[i % len(sessions)]
        pk = create(session, stack.base_url, f"lag test {i}")
        pks.append(pk)
        watcher = threading.Thread(target=watch_card, args=(session, stack.base_url, pk, seen))
        watcher.start()
        watchers.append(watcher)
    for watcher in watchers:
        watcher.join(600)
    drained = time.time() - start
    stack.stop("qcluster")

    stats = simulator.stats()
    by_prompt = {t["prompt"]: (task_id, t) for task_id, t in stats["tasks"].items()}
    visible_lags, stored_lags, ours, sdk = [], [], [], []
    for generation in Generation.objects.filter(pk__in=pks):
        task_id, task = by_prompt[generation.prompt]
        visible_lags.append(seen[generation.pk] - task["ended_at"])
        stored_lags.append(generation.completed_at.timestamp() - task["ended_at"])
        ours.append(stats["gets_by_task"][task_id])
        sdk.append(sdk_queries_until(task["ended_at"] - task["submitted_at"]))
    gaps = idle_slot_gaps(list(stats["tasks"].values()), limit=2)
    statuses = sorted(set(Generation.objects.filter(pk__in=pks).values_list("status", flat=True)))

    config = simulator.config
    print(
        f"\n== {generations} generations, 4 users, concurrency limit 2 "
        f"(simulated task: {config.pending_seconds:g} s pending + "
        f"{config.running_seconds:g}±{config.running_jitter:g} s running)"
    )
    print(f"statuses: {statuses}; drained in {drained:.1f} s")
    print(
        f"completion lag, task end -> images visible in the card: "
        f"p50 {statistics.median(visible_lags):.2f} s, p95 {percentile(visible_lags, 95):.2f} s, "
        f"max {max(visible_lags):.2f} s"
    )
    print(
        f"completion lag, task end -> images stored:             "
        f"p50 {statistics.median(stored_lags):.2f} s, p95 {percentile(stored_lags, 95):.2f} s"
    )
    print(
        f"task queries per task: wanxweb mean {statistics.mean(ours):.2f} (max {max(ours)}), "
        f"SDK wait() policy on the same tasks mean {statistics.mean(sdk):.2f} (max {max(sdk)}); "
        f"tasks where wanxweb spent more: {sum(o > s for o, s in zip(ours, sdk, strict=True))}"
    )
    print(
        f"429 answers: {sum(stats['rejected'].values())} {dict(stats['rejected'])}; "
        f"max tasks at DashScope at once: {stats['max_concurrent']}"
    )
    print(
        f"idle slot before a waiting submit: p50 {statistics.median(gaps):.2f} s, "
        f"p95 {percentile(gaps, 95):.2f} s, max {max(gaps):.2f} s"
    )


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
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--sdk-tasks", type=int, default=6)
    args = parser.parse_args()

    config = SimulatorConfig(pending_seconds=1.0, running_seconds=3.0, running_jitter=1.0)
    simulator = SimulatorServer(config=config)
    simulator.start()
    with tempfile.TemporaryDirectory(prefix="wanxweb-bench-") as workdir:
        stack = Stack(Path(workdir), simulator.base_url)
        try:
            stack.setup_django()
            from django.contrib.auth import get_user_model

            for i in range(4):
                get_user_model().objects.create_user(f"user{i}", password=PASSWORD)
            stack.start_web()

            measured = sdk_measured(simulator, args.sdk_tasks)
            print("== the official SDK's wait() against the same simulator")
            print(
                f"{len(measured)} tasks: queries per task "
                f"{[q for _, q in measured]} (modelled policy: "
                f"{[sdk_queries_until(d) for d, _ in measured]})"
            )

            scenario_lag(stack, simulator, args.generations)
            scenario_in_flight(stack, simulator, args.in_flight)
        finally:
            stack.stop_all()
            simulator.stop()


if __name__ == "__main__":
    main()
