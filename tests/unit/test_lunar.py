import unicodedata
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.lunar import LunarDate, lunar_to_solar, month_length, solar_to_lunar

# Mùng 1 Tết (Vietnamese calendar), from published Vietnamese calendars. 2030 is one of the
# years where Vietnam (UTC+7) and China (UTC+8) differ: the new moon falls at 23:07 local
# time on 2 Feb 2030 in Hanoi, 00:07 on 3 Feb in Beijing.
TET = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 2),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

HUNG_KINGS = {
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
    2027: date(2027, 4, 16),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 23),
    2030: date(2030, 4, 12),
}


def _holidays_package_dates(year: int, name: str) -> list[date]:
    """Independent cross-check: the `holidays` package's own Vietnamese lunar table."""
    vn = holidays.Vietnam(years=year, observed=False, language="vi")
    return sorted(d for d, n in vn.items() if unicodedata.normalize("NFC", n) == name)


@pytest.mark.parametrize(("year", "expected"), sorted(TET.items()))
def test_first_day_of_the_lunar_year_matches_the_published_tet_dates(year, expected):
    assert lunar_to_solar(1, 1, year) == expected
    assert solar_to_lunar(expected) == LunarDate(1, 1, year, False)
    assert _holidays_package_dates(year, "Tết Nguyên Đán") == [expected]


@pytest.mark.parametrize(("year", "expected"), sorted(HUNG_KINGS.items()))
def test_hung_kings_day_is_the_tenth_day_of_the_third_lunar_month(year, expected):
    assert lunar_to_solar(10, 3, year) == expected
    assert solar_to_lunar(expected) == LunarDate(10, 3, year, False)
    assert _holidays_package_dates(year, "Ngày Giỗ Tổ Hùng Vương") == [expected]


def test_tet_2030_differs_between_the_vietnamese_and_the_chinese_time_zone():
    assert solar_to_lunar(date(2030, 2, 2)) == LunarDate(1, 1, 2030)
    assert solar_to_lunar(date(2030, 2, 2), tz=8.0) == LunarDate(30, 12, 2029)
    assert lunar_to_solar(1, 1, 2030, tz=8.0) == date(2030, 2, 3)


def test_tet_1985_came_a_month_earlier_in_vietnam_than_in_china():
    assert lunar_to_solar(1, 1, 1985) == date(1985, 1, 21)
    assert lunar_to_solar(1, 1, 1985, tz=8.0) == date(1985, 2, 20)


@pytest.mark.parametrize(
    ("year", "leap_month", "first_day"),
    [
        (2020, 4, date(2020, 5, 23)),
        (2023, 2, date(2023, 3, 22)),
        (2025, 6, date(2025, 7, 25)),
    ],
)
def test_a_leap_month_repeats_the_number_of_the_month_before_it(year, leap_month, first_day):
    assert lunar_to_solar(1, leap_month, year, leap=True) == first_day
    assert solar_to_lunar(first_day) == LunarDate(1, leap_month, year, True)
    day_before = solar_to_lunar(first_day - timedelta(days=1))
    assert (day_before.month, day_before.leap) == (leap_month, False)
    others = [m for m in range(1, 13) if m != leap_month]
    for month in others:
        with pytest.raises(ValueError):
            lunar_to_solar(1, month, year, leap=True)


def test_known_festival_dates_convert_both_ways():
    # Trung thu (15/8) and Rằm tháng Giêng (15/1) as printed on Vietnamese calendars.
    assert lunar_to_solar(15, 8, 2024) == date(2024, 9, 17)
    assert lunar_to_solar(15, 8, 2025) == date(2025, 10, 6)
    assert lunar_to_solar(15, 1, 2025) == date(2025, 2, 12)
    assert solar_to_lunar(date(2025, 10, 6)) == LunarDate(15, 8, 2025)


def test_the_last_month_of_giap_thin_and_of_at_ty_had_no_thirtieth_day():
    # Tết 2025 and 2026 both had no "30 Tết": 28 Jan 2025 and 16 Feb 2026 were 29 tháng Chạp.
    assert month_length(12, 2024) == 29
    assert month_length(12, 2025) == 29
    assert solar_to_lunar(date(2025, 1, 28)) == LunarDate(29, 12, 2024)
    assert solar_to_lunar(date(2026, 2, 16)) == LunarDate(29, 12, 2025)
    with pytest.raises(ValueError):
        lunar_to_solar(30, 12, 2024)


def test_lunar_months_eleven_and_twelve_belong_to_the_year_before_tet():
    assert solar_to_lunar(date(2025, 1, 1)) == LunarDate(2, 12, 2024)
    assert solar_to_lunar(date(2024, 12, 1)) == LunarDate(1, 11, 2024)
    assert lunar_to_solar(1, 11, 2024) == date(2024, 12, 1)


def test_impossible_lunar_dates_are_rejected():
    with pytest.raises(ValueError):
        lunar_to_solar(0, 1, 2025)
    with pytest.raises(ValueError):
        lunar_to_solar(31, 1, 2025)
    with pytest.raises(ValueError):
        lunar_to_solar(1, 13, 2025)


def test_every_day_from_1990_to_2050_round_trips_and_follows_the_day_before():
    d = date(1990, 1, 1)
    previous = solar_to_lunar(d - timedelta(days=1))
    while d <= date(2050, 12, 31):
        lunar = solar_to_lunar(d)
        assert lunar_to_solar(*lunar) == d
        if lunar.day == 1:
            assert previous.day in (29, 30)
            assert month_length(previous.month, previous.year, previous.leap) == previous.day
        else:
            assert lunar == previous._replace(day=previous.day + 1)
        previous = lunar
        d += timedelta(days=1)


@given(
    year=st.integers(min_value=1990, max_value=2050),
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=29),
)
def test_solar_to_lunar_inverts_lunar_to_solar(year, month, day):
    lunar = LunarDate(day, month, year, False)
    assert solar_to_lunar(lunar_to_solar(*lunar)) == lunar


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2050, 12, 31)))
def test_lunar_to_solar_inverts_solar_to_lunar_including_leap_months(d):
    lunar = solar_to_lunar(d)
    assert 1 <= lunar.day <= month_length(lunar.month, lunar.year, lunar.leap)
    assert lunar_to_solar(lunar.day, lunar.month, lunar.year, lunar.leap) == d
