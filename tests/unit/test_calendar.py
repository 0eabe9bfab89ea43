import unicodedata
from datetime import date, time, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.calendar import (
    KNOWN_GOVERNMENT_DAYS,
    UNCONFIRMED,
    CalendarDay,
    DayKind,
    WorkingCalendar,
    default_calendar,
    national_holidays,
)

# Days off for civil servants that came from yearly swaps, not from the generated rules.
SWAP_DAYS_OFF = {date(2024, 4, 29), date(2025, 5, 2), date(2026, 8, 31)}
MORNING = (time(7), time(11, 30))
AFTERNOON = (time(13, 30), time(17))


def _off_days(days):
    return {c.day for c in days if c.kind is not DayKind.SWAP_WORKDAY}


def _days_between(first: date, last: date):
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_generated_2025_tet_gives_the_saturday_fourth_day_back_on_the_monday_before():
    days = {c.day: c for c in national_holidays(2025)}
    for d in _days_between(date(2025, 1, 28), date(2025, 2, 1)):
        assert days[d].kind is DayKind.HOLIDAY
    assert days[date(2025, 1, 28)].name == "Tết Nguyên đán (29 Tết)"
    assert days[date(2025, 1, 27)].kind is DayKind.COMPENSATORY_OFF
    assert date(2025, 2, 3) not in days


def test_generated_2024_tet_moves_saturday_before_and_sunday_after_the_block():
    # Tết Giáp Thìn: 30 Tết Fri 9 Feb, mùng 1 Sat 10 Feb; published: off Thu 8 – Wed 14 Feb.
    off = _off_days(national_holidays(2024))
    assert set(_days_between(date(2024, 2, 8), date(2024, 2, 14))) <= off
    assert date(2024, 2, 7) not in off
    assert date(2024, 2, 15) not in off


def test_generated_2026_tet_is_the_monday_to_friday_of_the_published_nine_days():
    off = {c.day for c in national_holidays(2026) if c.day.month == 2}
    assert off == set(_days_between(date(2026, 2, 16), date(2026, 2, 20)))


def test_hung_kings_on_saturday_2023_gives_tuesday_2_may_off():
    days = {c.day: c for c in national_holidays(2023)}
    assert days[date(2023, 4, 29)].kind is DayKind.HOLIDAY
    # Mon 1 May is itself a holiday, so the compensatory days are Tue 2 and Wed 3 May.
    assert days[date(2023, 5, 2)].kind is DayKind.COMPENSATORY_OFF
    assert "Hùng Vương" in days[date(2023, 5, 2)].name
    assert days[date(2023, 5, 3)].kind is DayKind.COMPENSATORY_OFF


def test_a_holiday_on_saturday_gives_a_compensatory_monday():
    days = {c.day: c for c in national_holidays(2027)}
    assert date(2027, 5, 1).weekday() == 5
    assert days[date(2027, 5, 3)].kind is DayKind.COMPENSATORY_OFF
    assert days[date(2027, 5, 3)].name == "Nghỉ bù Ngày Quốc tế Lao động (1/5)"
    new_year_2028 = {c.day: c for c in national_holidays(2028)}
    assert new_year_2028[date(2028, 1, 3)].kind is DayKind.COMPENSATORY_OFF
    cal = WorkingCalendar(days=national_holidays(2027))
    assert not cal.is_working_day(date(2027, 5, 3))
    assert cal.is_working_day(date(2027, 5, 4))


@pytest.mark.parametrize(
    ("year", "adjacent"),
    [
        (2021, date(2021, 9, 3)),  # Thu → Fri
        (2022, date(2022, 9, 1)),  # Fri → Thu
        (2023, date(2023, 9, 1)),  # Sat → Fri, plus Mon 4 Sep in lieu of Sat 2 Sep
        (2024, date(2024, 9, 3)),  # Mon → Tue
        (2025, date(2025, 9, 1)),  # Tue → Mon
        (2026, date(2026, 9, 1)),  # Wed → Tue
    ],
)
def test_national_day_has_the_adjacent_day_the_government_chose(year, adjacent):
    sep = {c.day for c in national_holidays(year) if c.day.month in (8, 9)}
    assert adjacent in sep
    assert date(year, 9, 2) in sep


def test_national_day_2023_on_saturday_is_given_back_on_monday():
    days = {c.day: c.kind for c in national_holidays(2023) if c.day.month == 9}
    assert days == {
        date(2023, 9, 1): DayKind.HOLIDAY,
        date(2023, 9, 2): DayKind.HOLIDAY,
        date(2023, 9, 4): DayKind.COMPENSATORY_OFF,
    }


def test_a_year_has_the_eleven_statutory_holidays():
    for year in range(2021, 2036):
        days = national_holidays(year)
        assert sum(c.kind is DayKind.HOLIDAY for c in days) == 11
        assert [c.day for c in days] == sorted(c.day for c in days)
        assert all(c.day.year == year for c in days)
        with_culture_day = national_holidays(year, culture_day=True)
        assert sum(c.kind is DayKind.HOLIDAY for c in with_culture_day) == 12


@pytest.mark.parametrize("year", range(2021, 2036))
def test_generated_weekday_days_off_match_the_holidays_package_apart_from_swaps(year):
    ours = {c.day for c in national_holidays(year, culture_day=year >= 2026) if c.day.weekday() < 5}
    theirs = {d for d in holidays.Vietnam(years=year) if d.weekday() < 5}
    assert ours == theirs - SWAP_DAYS_OFF


def test_known_2025_arrangement_equals_the_generated_one_plus_the_may_swap():
    known = set(KNOWN_GOVERNMENT_DAYS[2025])
    generated = set(national_holidays(2025))
    assert generated <= known
    assert {(c.day, c.kind) for c in known - generated} == {
        (date(2025, 5, 2), DayKind.SWAP_OFF),
        (date(2025, 4, 26), DayKind.SWAP_WORKDAY),
    }


def test_known_2025_civil_servant_breaks():
    cal = default_calendar([2025])
    # Tết: Sat 25 Jan – Sun 2 Feb, nine days.
    assert not any(
        cal.is_working_day(d) for d in _days_between(date(2025, 1, 25), date(2025, 2, 2))
    )
    assert cal.is_working_day(date(2025, 1, 24))
    assert cal.is_working_day(date(2025, 2, 3))
    # 30/4 – 1/5: Wed 30 Apr – Sun 4 May, with Sat 26 Apr worked instead of Fri 2 May.
    assert not any(
        cal.is_working_day(d) for d in _days_between(date(2025, 4, 30), date(2025, 5, 4))
    )
    assert cal.is_working_day(date(2025, 4, 26))
    # National Day: Sat 30 Aug – Tue 2 Sep.
    assert not any(
        cal.is_working_day(d) for d in _days_between(date(2025, 8, 30), date(2025, 9, 2))
    )
    assert cal.is_working_day(date(2025, 9, 3))
    assert not cal.is_working_day(date(2025, 4, 7))  # Hùng Kings


def test_known_2026_civil_servant_breaks():
    cal = default_calendar([2026])
    assert not any(
        cal.is_working_day(d) for d in _days_between(date(2026, 2, 14), date(2026, 2, 22))
    )
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))
    assert not any(cal.is_working_day(d) for d in _days_between(date(2026, 1, 1), date(2026, 1, 4)))
    assert not cal.is_working_day(date(2026, 4, 27))  # Hùng Kings on Sunday 26 Apr
    assert cal.is_working_day(date(2026, 4, 28))


def test_every_known_year_lists_only_its_own_dates_once():
    for year, days in KNOWN_GOVERNMENT_DAYS.items():
        assert all(c.day.year == year for c in days)
        assert len({c.day for c in days}) == len(days)
        assert all(unicodedata.is_normalized("NFC", c.name) for c in days)
        assert all(c.note in ("", UNCONFIRMED) for c in days)


def test_the_unpublished_2027_arrangement_is_marked_unconfirmed():
    assert KNOWN_GOVERNMENT_DAYS[2027]
    assert all(c.note == UNCONFIRMED for c in KNOWN_GOVERNMENT_DAYS[2027])
    assert {c.day for c in KNOWN_GOVERNMENT_DAYS[2027]} == {
        c.day for c in national_holidays(2027, culture_day=True)
    }


def test_uncertain_2026_entries_are_marked_unconfirmed():
    notes = {c.day: c.note for c in KNOWN_GOVERNMENT_DAYS[2026]}
    assert notes[date(2026, 11, 24)] == UNCONFIRMED
    assert notes[date(2026, 8, 31)] == UNCONFIRMED
    assert notes[date(2026, 2, 17)] == ""


def test_a_make_up_saturday_is_a_working_day_with_monday_windows():
    cal = default_calendar([2025])
    make_up = date(2025, 4, 26)
    assert make_up.weekday() == 5
    assert cal.is_working_day(make_up)
    assert cal.windows_on(make_up) == [MORNING, AFTERNOON]
    assert not cal.is_working_day(date(2025, 4, 19))  # an ordinary Saturday
    assert cal.windows_on(date(2025, 4, 19)) == []


def test_default_windows_are_eight_hours_monday_to_friday():
    cal = WorkingCalendar()
    for d in _days_between(date(2025, 10, 6), date(2025, 10, 10)):
        assert cal.windows_on(d) == [MORNING, AFTERNOON]
    assert cal.windows_on(date(2025, 10, 11)) == []
    assert cal.windows_on(date(2025, 10, 12)) == []


def test_saturday_counts_adds_a_saturday_morning():
    cal = WorkingCalendar(saturday_counts=True)
    assert cal.is_working_day(date(2025, 10, 11))
    assert cal.windows_on(date(2025, 10, 11)) == [MORNING]
    assert not cal.is_working_day(date(2025, 10, 12))


def test_a_local_closure_and_a_holiday_have_no_windows():
    closure = CalendarDay(date(2025, 10, 8), DayKind.LOCAL_CLOSURE, "Bão số 11")
    cal = default_calendar([2025]).with_days([closure])
    assert not cal.is_working_day(date(2025, 10, 8))
    assert cal.windows_on(date(2025, 10, 8)) == []
    assert cal.windows_on(date(2025, 9, 2)) == []
    assert default_calendar([2025]).is_working_day(date(2025, 10, 8))


def test_a_later_entry_for_the_same_date_wins():
    day = date(2025, 5, 2)
    cal = WorkingCalendar(
        days=[
            CalendarDay(day, DayKind.SWAP_OFF, "Nghỉ hoán đổi"),
            CalendarDay(day, DayKind.SWAP_WORKDAY, "Làm việc"),
        ]
    )
    assert cal.is_working_day(day)
    assert cal.entry(day).kind is DayKind.SWAP_WORKDAY
    assert len(cal.days) == 1


def test_next_working_day_is_strictly_after_and_skips_tet():
    cal = default_calendar([2026])
    assert cal.next_working_day(date(2026, 2, 10)) == date(2026, 2, 11)
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)
    assert cal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)


def test_working_days_between_counts_days_after_the_first_up_to_the_last():
    cal = default_calendar([2026])
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert cal.working_days_between(date(2026, 2, 12), date(2026, 2, 26)) == 5
    assert cal.working_days_between(date(2026, 2, 26), date(2026, 2, 12)) == -5
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_custom_windows_are_validated():
    with pytest.raises(ValueError):
        WorkingCalendar(windows=[(0, time(11), time(10))])
    with pytest.raises(ValueError):
        WorkingCalendar(windows=[(0, time(7), time(12)), (0, time(11), time(17))])
    with pytest.raises(ValueError):
        WorkingCalendar(windows=[(7, time(7), time(12))])
    cal = WorkingCalendar(windows=[(0, time(13), time(17)), (0, time(7), time(11))])
    assert cal.windows_on(date(2025, 10, 6)) == [(time(7), time(11)), (time(13), time(17))]


def test_a_calendar_without_working_days_refuses_to_search_forever():
    with pytest.raises(ValueError):
        WorkingCalendar(workdays=frozenset()).next_working_day(date(2025, 1, 1))


CAL = default_calendar(range(2024, 2029))


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 6, 30)),
    st.integers(min_value=1, max_value=40),
)
def test_adding_n_working_days_is_counted_back_as_n(start, n):
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    assert CAL.working_days_between(end, start) == -n
    assert CAL.working_days_between(start, end - timedelta(days=1)) == n - 1
