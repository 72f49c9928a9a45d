"""When to query a DashScope task next: soon after it is likely done, never more than the SDK.

The official SDK's `wait()` queries at once and then after 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, …
seconds. We learn from the model's recent tasks the window in which a new task is likely to
end (from a little before the fastest to a little after the slowest), skip the queries that
cannot find it done before that window, and spread the queries the SDK would have spent by the
window's end evenly across it, the last at its end: with B queries over a window W seconds
wide, a task that ends inside it is seen done at most W / B after. Whatever the prediction, the
k-th query never comes before the SDK's k-th, so a task never costs more queries than the SDK
would have spent on it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, count, islice

POLL_INTERVAL = 0.5  # the shortest gap between two queries of one task
HISTORY = 20  # recent tasks of a model the prediction looks at


def _sdk_sleeps():
    for step in count(1):
        yield min(5, 2 ** (step // 3))


# Seconds after submission of the SDK's 0th, 1st, 2nd… query: 0, 1, 2, 4, 6, 8, 12, 16, 20, 25…
SDK_QUERY_TIMES = [0.0, *accumulate(islice(_sdk_sleeps(), 2000))]


def sdk_queries_until(seconds: float) -> int:
    """How many queries `wait()` spends on a task that finishes `seconds` after submission."""
    return bisect_right(SDK_QUERY_TIMES, seconds - 1e-9) + 1


def expected_window(recent_durations: Sequence[float]) -> tuple[float, float]:
    """Seconds after submission between which a new task will most likely finish: the recent
    tasks' range, widened on each side by the mean gap between them (n tasks leave n - 1 gaps;
    the next one falls beyond the fastest or the slowest about as far). One task alone leaves
    no gap to go by: a tenth of its time, a guess the model's next task corrects."""
    if not recent_durations:
        return (0.0, 0.0)
    fastest, slowest = min(recent_durations), max(recent_durations)
    if len(recent_durations) > 1:
        margin = (slowest - fastest) / (len(recent_durations) - 1)
    else:
        margin = slowest / 10
    return (max(0.0, fastest - margin), slowest + margin)


def next_query_at(elapsed: float, queries_done: int, window: tuple[float, float]) -> float:
    """Seconds after submission at which to query the task next."""
    earliest, latest = window
    if elapsed < latest:
        # The queries the SDK would have made by the window's end, spread evenly over what is
        # left of it: none at its very start, where a task is least likely to have ended.
        budget = bisect_right(SDK_QUERY_TIMES, latest) - queries_done
        start = max(elapsed, earliest)
        at = start + (latest - start) / max(budget, 1)
        if queries_done:
            at = max(at, elapsed + POLL_INTERVAL)
    else:  # slower than any recent task: fall back to the SDK's own pace
        at = elapsed + POLL_INTERVAL
    sdk_pace = SDK_QUERY_TIMES[min(queries_done, len(SDK_QUERY_TIMES) - 1)]
    return max(at, sdk_pace)
