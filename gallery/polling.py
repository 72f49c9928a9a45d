"""When to query a DashScope task next: soon after it is likely done, no more often than the SDK.

The official SDK's `wait()` queries at once and then after 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, …
seconds. We learn from the model's recent tasks the window in which a new task is likely to
end (from a little before the fastest to a little after the slowest), spend no query before
that window, and query evenly across it as often as the SDK's budget allows: the narrowest gap
at which, on those recent tasks, we would have spent on average well under the queries `wait()`
spent on them. A task slower than the window is queried ever less often, the gap doubling up to
the SDK's longest sleep, so it costs at most a few queries more than `wait()` would have.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, count, islice
from statistics import fmean

POLL_INTERVAL = 0.5  # the gap between queries of a task outside its window
SHORTEST_GAP = 0.2  # between two queries of one task, inside its window
LONGEST_SLEEP = 5.0  # the SDK's, between two queries
HISTORY = 20  # recent tasks of a model the prediction looks at
# Of what `wait()` spent on the recent tasks, the share a plan may spend on them: the next
# tasks are not exactly the last twenty, and the mean must hold for them.
BUDGET_SHARE = 0.85


def _sdk_sleeps():
    for step in count(1):
        yield min(5, 2 ** (step // 3))


# Seconds after submission of the SDK's 0th, 1st, 2nd… query: 0, 1, 2, 4, 6, 8, 12, 16, 20, 25…
SDK_QUERY_TIMES = [0.0, *accumulate(islice(_sdk_sleeps(), 2000))]


def sdk_queries_until(seconds: float) -> int:
    """How many queries `wait()` spends on a task that finishes `seconds` after submission."""
    return bisect_right(SDK_QUERY_TIMES, seconds - 1e-9) + 1


@dataclass(frozen=True)
class Plan:
    """Seconds after submission: the window a new task of the model will most likely end in,
    and the gap between its queries there."""

    start: float = 0.0
    end: float = 0.0
    gap: float = POLL_INTERVAL

    def queries_until(self, seconds: float) -> int:
        """How many queries a task that finishes `seconds` after submission costs."""
        elapsed, queries = 0.0, 0
        while True:
            elapsed = self.next_query_at(elapsed)
            queries += 1
            if elapsed >= seconds - 1e-9:
                return queries

    def next_query_at(self, elapsed: float) -> float:
        """Seconds after submission at which to query the task next."""
        if elapsed < self.start:
            return min(self.start + self.gap, self.end)
        if elapsed < self.end:
            steps = math.floor((elapsed - self.start) / self.gap + 1e-9) + 1
            return min(self.start + steps * self.gap, self.end)
        if not self.end:  # nothing learned yet: the SDK's own pace (past its table, every 5 s)
            following = bisect_right(SDK_QUERY_TIMES, elapsed)
            sdk_next = (
                SDK_QUERY_TIMES[following] if following < len(SDK_QUERY_TIMES) else elapsed + 5
            )
            return max(elapsed + POLL_INTERVAL, sdk_next)
        # Slower than any recent task: the gap doubles after the window until it is the SDK's
        # longest sleep, so a task just late is seen soon and a stuck one costs few queries more.
        at, step = self.end, self.gap
        while at <= elapsed + 1e-9 and step < LONGEST_SLEEP:
            step = min(2 * step, LONGEST_SLEEP)
            at += step
        if at <= elapsed + 1e-9:
            at += (math.floor((elapsed - at) / LONGEST_SLEEP + 1e-9) + 1) * LONGEST_SLEEP
        return at


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


def plan(recent_durations: Sequence[float]) -> Plan:
    """The plan for a new task, from how long the model's recent tasks took: the narrowest gap
    (to 10 ms) at which those tasks would have cost on average no more than BUDGET_SHARE of
    the queries `wait()` spent on them."""
    if not recent_durations:
        return Plan()  # nothing to go by: the SDK's pace
    start, end = expected_window(recent_durations)
    if end - start <= SHORTEST_GAP:  # too narrow to query twice in: once, at its end
        return Plan(start, end, SHORTEST_GAP)
    budget = BUDGET_SHARE * fmean(sdk_queries_until(seconds) for seconds in recent_durations)

    def mean_cost(gap: float) -> float:  # every recent task ends inside the window
        return fmean(max(1, math.ceil((s - start) / gap - 1e-9)) for s in recent_durations)

    narrow, wide = SHORTEST_GAP, end - start  # the mean cost only falls as the gap widens
    if mean_cost(narrow) <= budget:
        return Plan(start, end, narrow)
    while wide - narrow > 0.01:
        middle = (narrow + wide) / 2
        narrow, wide = (narrow, middle) if mean_cost(middle) <= budget else (middle, wide)
    return Plan(start, end, wide)
