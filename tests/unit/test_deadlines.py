import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.calendar import WorkingCalendar, default_calendar
from core.deadlines import (
    TIMELINESS_LABELS_VI,
    DeadlineUnit,
    DueMode,
    Timeliness,
    add_working_hours,
    due_at,
    on_time_rate,
    timeliness,
    working_hours_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar(range(2024, 2030))
DAY = DeadlineUnit.WORKING_DAY
HOUR = DeadlineUnit.WORKING_HOUR
SAME = DeadlineUnit.SAME_DAY


def vn(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def local(moment: datetime) -> datetime:
    return moment.astimezone(VN)


# -- working days, working-hour arithmetic (the default) ------------------------------------


def test_three_working_days_from_friday_afternoon_end_on_wednesday_afternoon():
    # Fri 10 Oct 2025 16:00, 3 days = 24 working hours. Friday 16:00–17:00 gives 1 h (23 left);
    # Mon 13 and Tue 14 give 8 h each (7 left); Wednesday 07:00–11:30 gives 4.5 h (2.5 left),
    # and 2.5 h after 13:30 is 16:00 on Wed 15 Oct.
    due = due_at(vn(2025, 10, 10, 16), 3, DAY, CAL, VN)
    assert local(due) == vn(2025, 10, 15, 16)
    assert due.tzinfo is UTC
    assert due == datetime(2025, 10, 15, 9, tzinfo=UTC)


def test_three_working_days_from_friday_end_at_the_close_of_wednesday_in_nth_day_mode():
    due = due_at(vn(2025, 10, 10, 16), 3, DAY, CAL, VN, mode=DueMode.END_OF_NTH_DAY)
    assert local(due) == vn(2025, 10, 15, 17)


def test_five_working_days_across_tet_2026_skip_the_nine_days_off():
    # Thu 12 Feb 2026 09:00, 40 h: Thursday 2.5 + 3.5 = 6 h, Fri 13 Feb 8 h (26 left);
    # Sat 14 – Sun 22 Feb are off; Mon 23, Tue 24, Wed 25 give 24 h (2 left): Thu 26 Feb 09:00.
    due = due_at(vn(2026, 2, 12, 9), 5, DAY, CAL, VN)
    assert local(due) == vn(2026, 2, 26, 9)
    nth = due_at(vn(2026, 2, 12, 9), 5, DAY, CAL, VN, mode=DueMode.END_OF_NTH_DAY)
    assert local(nth) == vn(2026, 2, 26, 17)


def test_a_make_up_saturday_counts_toward_the_deadline():
    # Fri 25 Apr 2025 16:00, 2 days = 16 h: Friday 1 h, make-up Sat 26 Apr 8 h (7 left),
    # Mon 28 Apr 07:00–11:30 4.5 h, then 2.5 h after 13:30 → Mon 28 Apr 16:00.
    due = due_at(vn(2025, 4, 25, 16), 2, DAY, CAL, VN)
    assert local(due) == vn(2025, 4, 28, 16)
    without_swap = due_at(vn(2025, 4, 25, 16), 2, DAY, WorkingCalendar(), VN)
    assert local(without_swap) == vn(2025, 4, 29, 16)


def test_hours_per_day_is_a_setting():
    due = due_at(vn(2025, 10, 13, 7), 1, DAY, CAL, VN, hours_per_day=7.0)
    assert local(due) == vn(2025, 10, 13, 16)


# -- working hours ---------------------------------------------------------------------------


def test_working_hours_skip_the_lunch_break():
    # Mon 13 Oct 2025 10:00 + 4 h: 1.5 h until 11:30, 2.5 h from 13:30 → 16:00.
    assert local(due_at(vn(2025, 10, 13, 10), 4, HOUR, CAL, VN)) == vn(2025, 10, 13, 16)


def test_time_received_outside_the_windows_starts_at_the_next_opening():
    assert local(due_at(vn(2025, 10, 13, 12), 1, HOUR, CAL, VN)) == vn(2025, 10, 13, 14, 30)
    assert local(due_at(vn(2025, 10, 13, 6), 1, HOUR, CAL, VN)) == vn(2025, 10, 13, 8)
    assert local(due_at(vn(2025, 10, 10, 18), 1, HOUR, CAL, VN)) == vn(2025, 10, 13, 8)
    assert local(due_at(vn(2025, 10, 11, 9), 1, HOUR, CAL, VN)) == vn(2025, 10, 13, 8)


def test_a_deadline_that_fills_the_day_ends_at_closing_time_not_next_morning():
    assert local(due_at(vn(2025, 10, 13, 16), 1, HOUR, CAL, VN)) == vn(2025, 10, 13, 17)
    assert local(due_at(vn(2025, 10, 13, 7), 1, DAY, CAL, VN)) == vn(2025, 10, 13, 17)


def test_working_hours_between_counts_only_open_windows():
    assert working_hours_between(vn(2025, 10, 10, 16), vn(2025, 10, 15, 16), CAL, VN) == 24.0
    assert working_hours_between(vn(2025, 10, 15, 16), vn(2025, 10, 10, 16), CAL, VN) == -24.0
    assert working_hours_between(vn(2025, 10, 11, 8), vn(2025, 10, 12, 20), CAL, VN) == 0.0
    assert working_hours_between(vn(2025, 10, 13, 11), vn(2025, 10, 13, 14), CAL, VN) == 1.0


# -- same day --------------------------------------------------------------------------------


def test_same_day_before_the_cutoff_is_due_at_closing_the_same_day():
    assert local(due_at(vn(2025, 10, 13, 14, 59), 0, SAME, CAL, VN)) == vn(2025, 10, 13, 17)
    assert local(due_at(vn(2025, 10, 13, 6, 30), 0, SAME, CAL, VN)) == vn(2025, 10, 13, 17)


def test_same_day_from_the_cutoff_on_is_due_at_closing_the_next_working_day():
    assert local(due_at(vn(2025, 10, 13, 15), 0, SAME, CAL, VN)) == vn(2025, 10, 14, 17)
    assert local(due_at(vn(2025, 10, 13, 16, 30), 0, SAME, CAL, VN)) == vn(2025, 10, 14, 17)
    # Friday after 15:00 → Monday.
    assert local(due_at(vn(2025, 10, 10, 15, 30), 0, SAME, CAL, VN)) == vn(2025, 10, 13, 17)


def test_same_day_received_on_a_day_off_is_due_the_next_working_day():
    assert local(due_at(vn(2025, 10, 11, 9), 0, SAME, CAL, VN)) == vn(2025, 10, 13, 17)
    # Received on Tue 29 Apr 2025 after the cutoff: 30 Apr – 4 May are off → Mon 5 May.
    assert local(due_at(vn(2025, 4, 29, 16), 0, SAME, CAL, VN)) == vn(2025, 5, 5, 17)


def test_the_same_day_cutoff_is_a_setting():
    received = vn(2025, 10, 13, 15, 30)
    due = due_at(received, 0, SAME, CAL, VN, same_day_cutoff=time(16))
    assert local(due) == vn(2025, 10, 13, 17)


# -- input checks ----------------------------------------------------------------------------


def test_naive_times_and_non_positive_values_are_rejected():
    with pytest.raises(ValueError):
        due_at(datetime(2025, 10, 13, 9), 1, DAY, CAL, VN)
    with pytest.raises(ValueError):
        due_at(vn(2025, 10, 13, 9), 0, DAY, CAL, VN)
    with pytest.raises(ValueError):
        add_working_hours(vn(2025, 10, 13, 9), -1, CAL, VN)


def test_units_are_accepted_as_their_stored_strings():
    assert due_at(vn(2025, 10, 13, 10), 4, "working_hour", CAL, VN) == due_at(
        vn(2025, 10, 13, 10), 4, HOUR, CAL, VN
    )


# -- timeliness ------------------------------------------------------------------------------


def test_ready_before_the_due_day_is_early():
    due = vn(2025, 10, 15, 16)
    assert timeliness(vn(2025, 10, 14, 16, 59), due, VN, CAL) is Timeliness.EARLY


def test_ready_on_the_due_day_is_on_time_even_after_the_due_moment_by_default():
    due = vn(2025, 10, 15, 16)
    assert timeliness(vn(2025, 10, 15, 8), due, VN, CAL) is Timeliness.ON_TIME
    assert timeliness(vn(2025, 10, 15, 16, 30), due, VN, CAL) is Timeliness.ON_TIME


def test_the_due_moment_boundary_makes_later_that_day_late():
    due = vn(2025, 10, 15, 16)
    late = timeliness(vn(2025, 10, 15, 16, 30), due, VN, CAL, boundary="due_moment")
    assert late is Timeliness.LATE
    on_time = timeliness(vn(2025, 10, 15, 16), due, VN, CAL, boundary="due_moment")
    assert on_time is Timeliness.ON_TIME
    early = timeliness(vn(2025, 10, 14, 9), due, VN, CAL, boundary="due_moment")
    assert early is Timeliness.EARLY
    with pytest.raises(ValueError):
        timeliness(vn(2025, 10, 14, 9), due, VN, CAL, boundary="whenever")


def test_ready_after_the_due_day_is_late():
    assert timeliness(vn(2025, 10, 16, 7), vn(2025, 10, 15, 16), VN, CAL) is Timeliness.LATE


def test_a_due_date_on_a_day_off_moves_to_the_next_working_day():
    # Due given as Sat 11 Oct 2025: the due working day is Mon 13 Oct.
    due = vn(2025, 10, 11, 17)
    assert timeliness(vn(2025, 10, 13, 10), due, VN, CAL) is Timeliness.ON_TIME
    assert timeliness(vn(2025, 10, 12, 10), due, VN, CAL) is Timeliness.EARLY


def test_timeliness_compares_local_days_not_utc_days():
    # 06:30 in Hanoi on 16 Oct is still 15 Oct in UTC; it is the day after the due day.
    ready = datetime(2025, 10, 15, 23, 30, tzinfo=UTC)
    assert timeliness(ready, vn(2025, 10, 15, 16), VN, CAL) is Timeliness.LATE


def test_on_time_rate_counts_early_as_on_time():
    counts = {Timeliness.EARLY: 3, Timeliness.ON_TIME: 1, Timeliness.LATE: 1}
    assert on_time_rate(counts) == 80.0
    assert on_time_rate({Timeliness.LATE: 2}) == 0.0
    assert on_time_rate({}) is None
    assert on_time_rate({Timeliness.EARLY: 0, Timeliness.LATE: 0}) is None


def test_timeliness_labels_are_vietnamese():
    assert TIMELINESS_LABELS_VI == {
        Timeliness.EARLY: "Trước hạn",
        Timeliness.ON_TIME: "Đúng hạn",
        Timeliness.LATE: "Quá hạn",
    }
    assert all(unicodedata.is_normalized("NFC", s) for s in TIMELINESS_LABELS_VI.values())
    assert [t.value for t in Timeliness] == ["truoc_han", "dung_han", "qua_han"]


# -- general rules ---------------------------------------------------------------------------

received_times = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 6, 30), timezones=st.just(VN)
)
units = st.sampled_from([DAY, HOUR, SAME])
modes = st.sampled_from(list(DueMode))
values = st.integers(min_value=1, max_value=30)


def _inside_a_window(moment: datetime) -> bool:
    here = local(moment)
    return any(start <= here.time() <= end for start, end in CAL.windows_on(here.date()))


@given(received_times, values, units, modes)
def test_a_due_moment_is_always_inside_a_window_of_a_working_day(received, value, unit, mode):
    due = due_at(received, value, unit, CAL, VN, mode=mode)
    assert due.tzinfo is UTC
    assert CAL.is_working_day(local(due).date())
    assert _inside_a_window(due)
    assert due > received


@given(received_times, received_times, values, units, modes)
def test_a_later_receipt_is_never_due_earlier(first, second, value, unit, mode):
    first, second = sorted([first, second])
    assert due_at(first, value, unit, CAL, VN, mode=mode) <= due_at(
        second, value, unit, CAL, VN, mode=mode
    )


@given(received_times, values, values, st.sampled_from([DAY, HOUR]), modes)
def test_a_longer_deadline_is_never_due_earlier(received, small, large, unit, mode):
    small, large = sorted([small, large])
    assume(small < large)
    assert due_at(received, small, unit, CAL, VN, mode=mode) < due_at(
        received, large, unit, CAL, VN, mode=mode
    )


@given(received_times, st.floats(min_value=0, max_value=200, allow_nan=False))
def test_working_hours_between_undoes_add_working_hours(start, hours):
    end = add_working_hours(start, hours, CAL, VN)
    assert working_hours_between(start, end, CAL, VN) == pytest.approx(hours, abs=1e-6)
    assert _inside_a_window(end)


@given(received_times, received_times)
def test_adding_the_hours_between_two_moments_reaches_the_same_working_time(a, b):
    a, b = sorted([a, b])
    reached = add_working_hours(a, working_hours_between(a, b, CAL, VN), CAL, VN)
    # Outside the windows many moments share one working time; the sum lands on one of them.
    assert working_hours_between(reached, b, CAL, VN) == pytest.approx(0.0, abs=1e-6)
    here = local(b)
    if any(start < here.time() < end for start, end in CAL.windows_on(here.date())):
        assert abs(reached - b) <= timedelta(microseconds=1)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 6, 30)))
def test_a_working_day_holds_eight_working_hours(d):
    start = datetime.combine(d, time(0), tzinfo=VN)
    hours = working_hours_between(start, start + timedelta(days=1), CAL, VN)
    assert hours == (8.0 if CAL.is_working_day(d) else 0.0)
