"""The leader's figures as rules (core/figures.py): percentiles, Decision 766, the trend's periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.figures import (
    THRESHOLDS,
    DossierFacts,
    bucket_of,
    handling_days,
    in_period,
    on_time_766,
    percentile,
    period_start,
    rate,
    satisfaction_766,
    trend_grain,
)


def t(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_percentiles_by_nearest_rank_over_half_minutes() -> None:
    waits = [10, 0.2, 300.5, 600.1, 600]  # seconds
    counts: dict[int, int] = {}
    for w in waits:
        counts[bucket_of(w)] = counts.get(bucket_of(w), 0) + 1
    assert counts == {0: 2, 10: 1, 20: 2}
    assert percentile(counts, 50) == 300.0  # the 3rd of 5
    assert percentile(counts, 90) == 600.0  # the 5th (⌈4.5⌉)
    assert percentile({4: 1}, 90) == 120.0 and percentile({}, 50) is None
    assert bucket_of(44.9) == 1 and bucket_of(45) == 2  # the nearest half-minute


def test_on_time_by_the_national_method() -> None:
    hi, now = t(7), t(20)
    due = t(5, 17)
    # Finished before or exactly at the appointment (date and time), or after it.
    assert on_time_766(DossierFacts(t(2), due, finished_at=t(5, 17)), hi, now)
    assert not on_time_766(DossierFacts(t(2), due, finished_at=t(5, 17, 1)), hi, now)
    # Still in progress at the period's end: within time only if the appointment is not past.
    assert not on_time_766(DossierFacts(t(2), due, finished_at=None), hi, now)
    assert on_time_766(DossierFacts(t(2), t(9), finished_at=None), hi, now)
    # Finished after the period: judged as in progress at its end.
    assert on_time_766(DossierFacts(t(2), t(8), finished_at=t(8, 10)), hi, now)
    # The period not over yet: judged now.
    assert on_time_766(DossierFacts(t(2), t(6), finished_at=None), t(30), t(5))
    # Waiting for the citizen's supplement: judged when it was asked.
    waiting = DossierFacts(t(2), due, finished_at=None, supplement_requests=1, paused_at=t(4))
    assert on_time_766(waiting, hi, now)
    # A second supplement request is late, however early the result.
    twice = DossierFacts(t(2), due, finished_at=t(3), supplement_requests=2)
    assert not on_time_766(twice, hi, now)


def test_the_period_holds_what_was_received_or_processed_in_it() -> None:
    lo, hi = t(2, 0), t(7, 0)
    assert in_period(DossierFacts(t(3), t(9), None), lo, hi)
    assert in_period(DossierFacts(t(1) - timedelta(days=20), t(9), t(3)), lo, hi)  # carried over
    assert not in_period(DossierFacts(t(1) - timedelta(days=20), t(9), t(1)), lo, hi)  # done before
    assert not in_period(DossierFacts(t(8), t(9), None), lo, hi)  # received after


def test_satisfaction_and_thresholds() -> None:
    assert rate(3, 4) == 75.0 and rate(0, 0) is None
    assert satisfaction_766(20.0, 25.0) == 55.0
    assert satisfaction_766(60.0, 50.0) == 0.0 and satisfaction_766(None, 1.0) is None
    assert THRESHOLDS["5.4"].met(90.0) and not THRESHOLDS["5.4"].met(89.9)
    assert THRESHOLDS["3.3"].value == 50.0 and THRESHOLDS["4.2"].value == 80.0
    assert not THRESHOLDS["2.1"].confirmed and THRESHOLDS["2.1"].met(None) is None


def test_handling_time_leaves_out_the_citizens_supplement_time() -> None:
    # 4 days from receipt to result, of which the citizen took 1.5 days to bring the papers.
    assert handling_days(t(2), t(6), [(t(3), t(4, 21))]) == 2.5
    assert handling_days(t(2), t(3), []) == 1.0


def test_trend_periods() -> None:
    thursday = date(2026, 11, 5)
    assert period_start(thursday, "week") == date(2026, 11, 2)
    assert period_start(thursday, "month") == date(2026, 11, 1)
    assert period_start(thursday, "day") == thursday
    assert trend_grain(date(2026, 11, 1), date(2026, 11, 30)) == "day"
    assert trend_grain(date(2026, 6, 1), date(2026, 11, 30)) == "week"
    assert trend_grain(date(2025, 12, 1), date(2026, 11, 30)) == "month"
