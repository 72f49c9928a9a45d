import pytest

from gallery import polling


def simulate(duration: float, expected_earliest: float) -> tuple[int, float]:
    """Query a task that ends `duration` s after submission; return (queries, lag)."""
    elapsed, queries = 0.0, 0
    while True:
        elapsed = polling.next_query_at(elapsed, queries, expected_earliest)
        queries += 1
        if elapsed >= duration:
            return queries, elapsed - duration


def test_the_sdk_schedule_matches_its_documented_sleeps():
    assert polling.SDK_QUERY_TIMES[:12] == [0, 1, 2, 4, 6, 8, 12, 16, 20, 25, 30, 35]


@pytest.mark.parametrize("earliest", [0.0, 1.0, 2.7, 5.0, 30.0, 200.0])
@pytest.mark.parametrize("duration", [0.3, 1.0, 2.5, 3.1, 7.9, 10.0, 33.3, 95.0, 180.0])
def test_it_never_queries_more_than_the_sdk_whatever_the_prediction(duration, earliest):
    queries, _ = simulate(duration, earliest)
    assert queries <= polling.sdk_queries_until(duration)


@pytest.mark.parametrize("duration", [2.5, 4.0, 10.0, 40.0, 120.0])
def test_a_good_prediction_finds_the_task_done_within_half_a_second(duration):
    earliest = polling.earliest_end([duration] * 10)
    queries, lag = simulate(duration, earliest)
    assert lag <= polling.POLL_INTERVAL
    assert queries <= 3


def test_the_prediction_starts_from_the_fastest_recent_tasks():
    assert polling.earliest_end([]) == 0.0
    assert polling.earliest_end([10.0, 3.0, 12.0]) == pytest.approx(3.0 - polling.EARLY_MARGIN)
