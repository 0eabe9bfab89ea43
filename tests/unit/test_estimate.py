import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.estimate import DEFAULT_SERVICE_SECONDS, average_service_seconds, estimate_wait_minutes


def test_average_is_the_default_when_there_is_no_history():
    assert DEFAULT_SERVICE_SECONDS == 300.0
    assert average_service_seconds([]) == 300.0
    assert average_service_seconds([], default=120) == 120.0


def test_average_is_the_mean_of_recorded_durations():
    assert average_service_seconds([240, 360]) == 300.0


def test_average_ignores_implausible_durations():
    assert average_service_seconds([0, -5, 7201, 100, 200, float("nan"), float("inf")]) == 150.0
    assert average_service_seconds([7200]) == 7200.0
    assert average_service_seconds([0, 9000], default=42) == 42.0


def test_average_uses_only_the_last_window_plausible_durations():
    durations = [1000.0] * 5 + [100.0] * 20
    assert average_service_seconds(durations) == 100.0
    assert average_service_seconds(durations, window=21) == pytest.approx(3000 / 21)
    assert average_service_seconds([10, 20, 30, 99999], window=2) == 25.0


def test_average_window_must_be_positive():
    with pytest.raises(ValueError):
        average_service_seconds([100], window=0)


def test_nobody_ahead_means_no_wait():
    assert estimate_wait_minutes(0, 1, 300) == 0
    assert estimate_wait_minutes(0, 0, 10_000) == 0


def test_wait_is_rounded_up_to_whole_minutes():
    assert estimate_wait_minutes(1, 1, 300) == 5
    assert estimate_wait_minutes(2, 1, 300) == 10
    assert estimate_wait_minutes(1, 1, 301) == 6
    assert estimate_wait_minutes(1, 1, 1) == 1
    assert estimate_wait_minutes(3, 2, 300) == 8  # 7.5 -> 8


def test_wait_is_shared_by_the_counters_serving_the_field():
    assert estimate_wait_minutes(6, 3, 300) == 10
    # No counter open is treated as one, so the estimate stays finite.
    assert estimate_wait_minutes(6, 0, 300) == 30


def test_exact_minutes_are_not_pushed_up_by_float_noise():
    # 25 * 74.4 / 60 is 31.000000000000004 in binary floating point, but means 31 minutes.
    assert 25 * 74.4 / 60 > 31
    assert estimate_wait_minutes(25, 1, 74.4) == 31


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=20),
    st.floats(min_value=1, max_value=7200),
)
def test_estimate_is_the_ceiling_of_the_shared_work(ahead, counters, avg):
    minutes = estimate_wait_minutes(ahead, counters, avg)
    exact = ahead * avg / max(1, counters) / 60
    assert isinstance(minutes, int)
    assert minutes >= 0
    assert minutes == 0 if ahead == 0 else exact - 1e-6 <= minutes < exact + 1
    assert estimate_wait_minutes(ahead + 1, counters, avg) >= minutes


@given(st.lists(st.floats(min_value=0.001, max_value=7200), min_size=1, max_size=60))
def test_average_of_plausible_durations_lies_between_their_extremes(durations):
    recent = durations[-20:]
    average = average_service_seconds(durations)
    assert min(recent) - 1e-9 <= average <= max(recent) + 1e-9
    assert math.isclose(average, math.fsum(recent) / len(recent))
