import math
import random
from statistics import fmean

import pytest

from gallery import polling
from gallery.polling import Plan


def lag(plan: Plan, duration: float) -> float:
    """How long after a task that ends `duration` s after submission the plan sees it done."""
    elapsed = 0.0
    while elapsed < duration:
        elapsed = plan.next_query_at(elapsed)
    return elapsed - duration


def times(plan: Plan, until: float) -> list[float]:
    elapsed, seen = 0.0, []
    while elapsed < until:
        elapsed = plan.next_query_at(elapsed)
        seen.append(round(elapsed, 6))
    return seen


def test_the_sdk_schedule_matches_its_documented_sleeps():
    assert polling.SDK_QUERY_TIMES[:12] == [0, 1, 2, 4, 6, 8, 12, 16, 20, 25, 30, 35]
    assert [polling.sdk_queries_until(s) for s in (0.5, 1.0, 3.0, 4.0, 4.5, 13)] == [
        2,
        2,
        4,
        4,
        5,
        8,
    ]


# Task times as DashScope's vary: fixed, narrow, the simulator's 1 s pending + 3±1 s running,
# wider, and real wan2.7 edits of tens of seconds.
SPREADS = [(2.5, 2.5), (1.0, 1.4), (3.0, 5.0), (8.0, 12.0), (20.0, 45.0)]


@pytest.mark.parametrize(("low", "high"), SPREADS)
def test_on_tasks_like_the_recent_ones_it_spends_no_more_queries_than_the_sdk(low, high):
    rng = random.Random(1)
    plan = polling.plan([rng.uniform(low, high) for _ in range(polling.HISTORY)])
    durations = [rng.uniform(low, high) for _ in range(2000)]

    ours = fmean(plan.queries_until(duration) for duration in durations)

    assert ours <= fmean(polling.sdk_queries_until(duration) for duration in durations)


@pytest.mark.parametrize(
    ("low", "high", "max_lag"),
    [(2.5, 2.5, 0.05), (3.0, 5.0, 0.35), (8.0, 12.0, 0.45), (20.0, 45.0, 1.5)],  # SDK: up to 5 s
)
def test_tasks_inside_the_predicted_window_are_found_done_soon(low, high, max_lag):
    rng = random.Random(1)
    plan = polling.plan([rng.uniform(low, high) for _ in range(20)] + [low, high])
    for _ in range(200):
        assert lag(plan, rng.uniform(low, high)) <= max_lag


@pytest.mark.parametrize("plan", [Plan(), Plan(2.9, 5.1, 0.27), Plan(30, 31, 0.2), Plan(8, 8)])
@pytest.mark.parametrize("duration", [0.3, 1.0, 2.5, 3.1, 5.2, 7.9, 10.0, 33.3, 95.0, 180.0])
def test_whatever_the_prediction_a_task_costs_at_most_the_windows_queries_more(plan, duration):
    """Past its window the gap doubles up to the SDK's longest sleep, so a task the prediction
    got wrong costs no more than the window's queries and the doublings on top of the SDK's."""
    inside = math.ceil((plan.end - plan.start) / plan.gap) + 1
    doublings = math.ceil(math.log2(polling.LONGEST_SLEEP / plan.gap))
    allowed = polling.sdk_queries_until(duration) + inside + doublings
    assert plan.queries_until(duration) <= allowed


def test_a_task_slower_than_the_window_is_queried_ever_less_often_up_to_the_sdks_longest_sleep():
    assert times(Plan(3.0, 5.0, 0.5), 30) == pytest.approx(
        [3.5, 4, 4.5, 5, 6, 8, 12, 17, 22, 27, 32]
    )
    assert Plan(3.0, 5.0, 0.5).next_query_at(20_000) == pytest.approx(20_002)


def test_without_recent_tasks_it_keeps_the_sdks_pace_after_its_first_second():
    assert times(polling.plan([]), 13) == [1, 2, 4, 6, 8, 12, 16]


def test_no_query_is_spent_before_the_window_and_they_are_even_across_it():
    assert times(Plan(3.0, 5.0, 0.5), 5) == pytest.approx([3.5, 4.0, 4.5, 5.0])
    assert times(Plan(3.0, 4.9, 0.5), 5) == pytest.approx([3.5, 4.0, 4.5, 4.9, 5.9])


def test_tasks_that_all_took_the_same_time_are_queried_once_then():
    assert times(polling.plan([2.5, 2.5, 2.5]), 3) == pytest.approx([2.5, 2.9, 3.7])


def test_the_gap_is_the_narrowest_the_sdks_budget_allows():
    rng = random.Random(1)
    recent = [rng.uniform(3.0, 5.0) for _ in range(20)]
    budget = fmean(polling.sdk_queries_until(seconds) for seconds in recent)
    plan = polling.plan(recent)

    def cost(gap: float) -> float:
        return fmean(Plan(plan.start, plan.end, gap).queries_until(s) for s in recent)

    assert cost(plan.gap) <= polling.BUDGET_SHARE * budget < cost(plan.gap - 0.02)


def test_the_window_spans_the_recent_tasks_widened_by_their_mean_gap():
    assert polling.expected_window([]) == (0.0, 0.0)
    assert polling.expected_window([10.0, 4.0, 12.0, 8.0, 6.0]) == pytest.approx((2.0, 14.0))
    assert polling.expected_window([10.0]) == pytest.approx((9.0, 11.0))


def test_a_task_watched_for_hours_goes_on_every_five_seconds():
    # Re-checked up to a day after it was sent, past the SDK's table.
    assert Plan().next_query_at(20_000) == 20_005


def test_a_window_too_narrow_for_two_queries_gets_one_at_its_end():
    plan = polling.plan([1.0, 1.01, 1.02])
    assert plan.gap >= polling.SHORTEST_GAP
    assert times(plan, 2)[0] == pytest.approx(plan.end)
