import random

import pytest

from gallery import polling


def simulate(duration: float, window: tuple[float, float]) -> tuple[int, float]:
    """Query a task that ends `duration` s after submission; return (queries, lag)."""
    elapsed, queries = 0.0, 0
    while True:
        elapsed = polling.next_query_at(elapsed, queries, window)
        queries += 1
        if elapsed >= duration:
            return queries, elapsed - duration


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


@pytest.mark.parametrize("window", [(0, 0), (1, 2), (2.7, 5.3), (5, 60), (30, 31), (200, 400)])
@pytest.mark.parametrize("duration", [0.3, 1.0, 2.5, 3.1, 5.2, 7.9, 10.0, 33.3, 95.0, 180.0])
def test_it_never_queries_more_than_the_sdk_whatever_the_prediction(duration, window):
    queries, _ = simulate(duration, window)
    assert queries <= polling.sdk_queries_until(duration)


@pytest.mark.parametrize(
    ("low", "high", "max_lag"),
    [(2.5, 2.5, 0.5), (3.0, 5.0, 0.6), (8.0, 12.0, 0.7), (40.0, 60.0, 1.5)],  # the SDK: up to 5 s
)
def test_tasks_inside_the_predicted_window_are_found_done_soon(low, high, max_lag):
    rng = random.Random(1)
    window = polling.expected_window([rng.uniform(low, high) for _ in range(20)] + [low, high])
    for _ in range(200):
        duration = rng.uniform(low, high)
        queries, lag = simulate(duration, window)
        assert lag <= max_lag, duration
        assert queries <= polling.sdk_queries_until(duration)


def test_the_window_spans_the_recent_tasks_widened_by_their_mean_gap():
    assert polling.expected_window([]) == (0.0, 0.0)
    assert polling.expected_window([10.0, 4.0, 12.0, 8.0, 6.0]) == pytest.approx((2.0, 14.0))
    assert polling.expected_window([10.0]) == pytest.approx((9.0, 11.0))


def test_no_query_is_spent_at_the_window_start():
    # Four queries by the window's end (at 0, 1, 2 and 4 s for the SDK), evenly across it.
    times, elapsed = [], 0.0
    for done in range(4):
        elapsed = polling.next_query_at(elapsed, done, (3.0, 5.0))
        times.append(elapsed)
    assert times == pytest.approx([3.5, 4.0, 4.5, 5.0])
