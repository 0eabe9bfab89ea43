"""Citizen reception rules (core/reception.py): repeat rules, moves off days off, and the law's
rhythm for the commune chairman checked against the 2026 calendar, before and after 1 July."""

from datetime import date, time

import pytest

from core.calendar import default_calendar
from core.reception import (
    Entry,
    Kind,
    Mode,
    Repeat,
    check_month,
    occurrences,
    parse_repeat,
    rule_for,
)

CAL = default_calendar(range(2025, 2028))
WORKS = CAL.is_working_day
MORNING = (time(7, 30), time(11, 30))


def periodic(day, repeat=None, *, mode=Mode.IN_PERSON, kind=Kind.PERIODIC, until=None):
    return Entry(day, *MORNING, kind=kind, mode=mode, repeat=parse_repeat(repeat), until=until)


def test_repeat_codes_read_back_and_bad_ones_are_refused():
    assert parse_repeat("") is None
    assert parse_repeat("W3") == Repeat(3)
    assert parse_repeat("M3:4,2") == Repeat(3, (2, 4))
    assert parse_repeat("M3:2,4").code() == "M3:2,4"
    assert parse_repeat("M0:-1,1").ordinals == (1, -1)
    for bad in ("W7", "M3:5", "X", "M3:", "W3;drop"):
        with pytest.raises(ValueError):
            parse_repeat(bad)


def test_repeat_reads_in_vietnamese():
    assert Repeat(3).text() == "Thứ Năm hằng tuần"
    assert Repeat(3, (2, 4)).text() == "Thứ Năm tuần thứ hai và tuần thứ tư hằng tháng"
    assert Repeat(0, (-1,)).text() == "Thứ Hai tuần cuối hằng tháng"


def test_second_and_fourth_thursday_mornings():
    e = periodic(date(2026, 1, 1), "M3:2,4")
    assert e.dates(date(2026, 12, 1), date(2026, 12, 31), WORKS) == [
        date(2026, 12, 10),
        date(2026, 12, 24),
    ]


def test_last_monday_of_the_month():
    e = periodic(date(2026, 1, 1), "M0:-1")
    assert e.dates(date(2026, 10, 1), date(2026, 11, 30), WORKS) == [
        date(2026, 10, 26),
        date(2026, 11, 30),
    ]


def test_a_repeating_date_on_a_holiday_moves_to_the_next_working_day():
    # 2 Sep 2026 (Wednesday) is National Day: the first Wednesday moves to Thursday 3 Sep.
    e = periodic(date(2026, 1, 1), "M2:1,3")
    assert e.dates(date(2026, 9, 1), date(2026, 9, 30), WORKS) == [
        date(2026, 9, 3),
        date(2026, 9, 16),
    ]


def test_a_one_off_entry_stays_on_its_date_and_repeats_stop_at_until():
    assert periodic(date(2026, 9, 2)).dates(date(2026, 9, 1), date(2026, 9, 30), WORKS) == [
        date(2026, 9, 2)
    ]
    e = periodic(date(2026, 12, 1), "W3", until=date(2026, 12, 15))
    assert e.dates(date(2026, 12, 1), date(2026, 12, 31), WORKS) == [
        date(2026, 12, 3),
        date(2026, 12, 10),
    ]
    assert e.dates(date(2026, 11, 1), date(2026, 11, 30), WORKS) == []  # before its first day


def test_occurrences_are_in_order_of_day_and_hour():
    later = Entry(date(2026, 12, 10), time(13, 30), time(17, 0))
    early = Entry(date(2026, 12, 10), *MORNING)
    other = Entry(date(2026, 12, 3), *MORNING, kind=Kind.DUTY)
    found = occurrences([later, early, other], date(2026, 12, 1), date(2026, 12, 31), WORKS)
    assert [(o.day.day, o.entry.start) for o in found] == [
        (3, time(7, 30)),
        (10, time(7, 30)),
        (10, time(13, 30)),
    ]


def test_the_rule_changes_on_1_july_2026():
    assert rule_for(2026, 6) == "weekly"
    assert rule_for(2026, 7) == "monthly"
    assert rule_for(2027, 1) == "monthly"


def test_before_july_every_thursday_keeps_the_weekly_rhythm_even_over_tet():
    # February 2026: Tết closes 14–22 Feb; Thursday 19 Feb moves to Monday 23 Feb, and the
    # week of 16–22 Feb has no working day, so it needs no session.
    r = check_month([periodic(date(2026, 1, 1), "W3")], 2026, 2, WORKS)
    assert r.rule == "weekly" and r.ok
    assert date(2026, 2, 23) in r.days


def test_before_july_a_holiday_thursday_can_leave_a_week_without_reception():
    # April 2026: Thursday 30 Apr and Friday 1 May are holidays: the session moves to Monday
    # 4 May, and the week of 27 Apr – 3 May (working on 28 and 29 Apr) has none.
    r = check_month([periodic(date(2026, 1, 1), "W3")], 2026, 4, WORKS)
    assert not r.ok
    assert r.missing_weeks == ((date(2026, 4, 27), date(2026, 5, 3)),)


def test_before_july_twice_a_month_is_not_enough():
    r = check_month([periodic(date(2026, 1, 1), "M3:2,4")], 2026, 5, WORKS)
    # 1 May is a holiday and 2–3 May a weekend: that week has no working day in May.
    assert not r.ok
    assert r.missing_weeks == (
        (date(2026, 5, 4), date(2026, 5, 10)),
        (date(2026, 5, 18), date(2026, 5, 24)),
    )


def test_before_july_online_sessions_do_not_count():
    r = check_month([periodic(date(2026, 1, 1), "W3", mode=Mode.ONLINE)], 2026, 6, WORKS)
    assert not r.ok and r.days == ()


def test_from_july_two_days_a_month_are_enough_and_online_counts():
    entries = [periodic(date(2026, 1, 1), "M3:2,4", mode=Mode.ONLINE)]
    r = check_month(entries, 2026, 7, WORKS)
    assert r.rule == "monthly" and r.ok and r.days == (date(2026, 7, 9), date(2026, 7, 23))


def test_from_july_one_day_is_short_and_the_same_day_twice_counts_once():
    morning = periodic(date(2026, 12, 10))
    afternoon = Entry(date(2026, 12, 10), time(13, 30), time(17, 0))
    r = check_month([morning, afternoon], 2026, 12, WORKS)
    assert not r.ok and r.short_by == 1


def test_duty_and_thematic_sessions_do_not_count_for_the_chairman():
    entries = [
        periodic(date(2026, 1, 1), "W1", kind=Kind.DUTY),
        periodic(date(2026, 1, 1), "W2", kind=Kind.THEMATIC),
    ]
    r = check_month(entries, 2026, 8, WORKS)
    assert not r.ok and r.short_by == 2


def test_from_july_a_move_off_a_holiday_can_leave_the_month_short():
    # 31 Aug 2026 (the last Monday) is off for National Day (29 Aug – 2 Sep): it moves to
    # Thursday 3 Sep, and August keeps only 10 Aug.
    entries = [periodic(date(2026, 1, 1), "M0:2,-1")]
    r = check_month(entries, 2026, 8, WORKS)
    assert r.days == (date(2026, 8, 10),) and r.short_by == 1
    assert check_month(entries, 2026, 9, WORKS).days == (
        date(2026, 9, 3),
        date(2026, 9, 14),
        date(2026, 9, 28),
    )


def test_new_year_moves_the_first_friday_and_it_still_counts():
    r = check_month([periodic(date(2026, 1, 1), "M4:1,-1")], 2027, 1, WORKS)
    assert r.ok and r.days == (date(2027, 1, 4), date(2027, 1, 29))
