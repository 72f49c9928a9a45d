"""When to query a DashScope task next: soon after it is likely done, never more than the SDK.

The official SDK's `wait()` queries at once and then after 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, …
seconds. We skip the queries that cannot find the task finished (before the fastest recent task
of the same model would have ended), then query every POLL_INTERVAL while that saved credit lasts;
the k-th query never comes before the SDK's k-th, so a task never costs more queries than the
SDK would have spent by the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, count, islice

POLL_INTERVAL = 0.5  # seconds between queries while a task is likely about to finish
EARLY_MARGIN = 0.3  # start querying this long before the fastest recent task ended
HISTORY = 20  # recent tasks of a model the prediction looks at


def _sdk_sleeps():
    for i in count():
        yield min(5, 2 ** ((i + 1) // 3))


# Seconds after submission of the SDK's 0th, 1st, 2nd… query: 0, 1, 2, 4, 6, 8, 12, 16, 20, 25…
SDK_QUERY_TIMES = [0.0, *accumulate(islice(_sdk_sleeps(), 200))]


def sdk_queries_until(seconds: float) -> int:
    """How many queries `wait()` spends on a task that finishes `seconds` after submission."""
    for queries, at in enumerate(SDK_QUERY_TIMES, start=1):
        if at >= seconds:
            return queries
    raise ValueError("task longer than the modelled schedule")


def earliest_end(recent_durations: Sequence[float]) -> float:
    """Seconds after submission before which a new task is unlikely to be finished."""
    if not recent_durations:
        return 0.0
    fastest = sorted(recent_durations)[: max(1, len(recent_durations) // 10)]
    return max(0.0, fastest[-1] - EARLY_MARGIN)


def next_query_at(elapsed: float, queries_done: int, expected_earliest: float) -> float:
    """Seconds after submission at which to query the task next."""
    sdk_pace = SDK_QUERY_TIMES[min(queries_done, len(SDK_QUERY_TIMES) - 1)]
    return max(elapsed + POLL_INTERVAL, expected_earliest, sdk_pace)
