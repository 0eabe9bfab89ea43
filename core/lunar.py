"""Vietnamese lunisolar calendar (âm lịch), computed astronomically for UTC+7.

Method (after the published description by Hồ Ngọc Đức, which follows Meeus):

* a lunar month starts on the local civil day that contains the astronomical new moon;
* month 11 is the month that contains the winter solstice (sun longitude 270°);
* a "sui" (month 11 of one year to month 11 of the next) with 13 months has one leap
  month: the first month after month 11 in which the sun enters no new 30° sign
  (no major solar term, *trung khí*); it repeats the number of the month before it;
* the lunar year starts with month 1; months 11 and 12 belong to the year before.

Vietnam computes at UTC+7, China at UTC+8, so the two calendars differ in some years
(e.g. Tết 1985 and 2030); pass ``tz=8.0`` to reproduce the Chinese variant.
Accuracy is that of the truncated Meeus series (well within a minute for 1900–2100).
"""

from __future__ import annotations

import itertools
import math
from datetime import date
from functools import lru_cache
from typing import NamedTuple

__all__ = ["LunarDate", "lunar_to_solar", "month_length", "solar_to_lunar"]

# Julian Day Number of date.fromordinal(1) minus 1: jdn = date.toordinal() + _JDN_OFFSET.
_JDN_OFFSET = 1721425
# Mean synodic month in days, and the Julian Day of the new moon of 1900-01-01 (k = 0).
_SYNODIC_MONTH = 29.530588853
_NEW_MOON_EPOCH = 2415021.076998695
_RAD = math.pi / 180.0


class LunarDate(NamedTuple):
    """A day of the Vietnamese lunar calendar; ``leap`` marks a leap month (tháng nhuận)."""

    day: int
    month: int
    year: int
    leap: bool = False


def _jdn(d: date) -> int:
    return d.toordinal() + _JDN_OFFSET


def _from_jdn(jdn: int) -> date:
    return date.fromordinal(jdn - _JDN_OFFSET)


def _new_moon_jd(k: int) -> float:
    """Julian Day (UT) of the k-th new moon counted from the one of 1900-01-01."""
    t = k / 1236.85  # Julian centuries from 1900
    t2 = t * t
    t3 = t2 * t
    mean = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    mean += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * _RAD)
    sun_anomaly = (359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3) * _RAD
    moon_anomaly = (306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3) * _RAD
    latitude_arg = (21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3) * _RAD
    m, mp, f = sun_anomaly, moon_anomaly, latitude_arg
    # Periodic corrections of the true new moon from the mean one (coefficient, argument).
    terms = (
        (0.1734 - 0.000393 * t, m),
        (0.0021, 2 * m),
        (-0.4068, mp),
        (0.0161, 2 * mp),
        (-0.0004, 3 * mp),
        (0.0104, 2 * f),
        (-0.0051, m + mp),
        (-0.0074, m - mp),
        (0.0004, 2 * f + m),
        (-0.0004, 2 * f - m),
        (-0.0006, 2 * f + mp),
        (0.0010, 2 * f - mp),
        (0.0005, m + 2 * mp),
    )
    correction = sum(coef * math.sin(arg) for coef, arg in terms)
    # Delta T (TT - UT) in days, two polynomial fits split at 1800.
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return mean + correction - delta_t


def _new_moon_day(k: int, tz: float) -> int:
    """Julian Day Number of the local civil day holding the k-th new moon."""
    return math.floor(_new_moon_jd(k) + 0.5 + tz / 24.0)


def _sun_longitude(jd: float) -> float:
    """Apparent-ish sun longitude in radians, [0, 2π), at Julian Day ``jd`` (UT)."""
    t = (jd - 2451545.0) / 36525.0  # Julian centuries from J2000
    t2 = t * t
    anomaly = (357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2) * _RAD
    mean_longitude = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    centre = (
        (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * anomaly)
        + 0.000290 * math.sin(3 * anomaly)
    )
    longitude = (mean_longitude + centre) * _RAD
    return longitude % (2 * math.pi)


def _sun_sign(jdn: int, tz: float) -> int:
    """30° sign (0..11) the sun is in at local midnight starting day ``jdn``."""
    return math.floor(_sun_longitude(jdn - 0.5 - tz / 24.0) / math.pi * 6)


def _lunation_index(jdn: int) -> int:
    """Index k of the new moon falling on (or nearest to) day ``jdn``."""
    return math.floor((jdn - _NEW_MOON_EPOCH) / _SYNODIC_MONTH + 0.5)


@lru_cache(maxsize=512)
def _month11_start(year: int, tz: float) -> int:
    """Day number on which lunar month 11 (holding the winter solstice of ``year``) starts."""
    dec31 = _jdn(date(year, 12, 31))
    k = math.floor((dec31 - 2415021) / _SYNODIC_MONTH)  # last lunation begun by 31 Dec
    start = _new_moon_day(k, tz)
    # Sign 9 begins at 270°: if the sun is already past the solstice, the month started earlier.
    if _sun_sign(start, tz) >= 9:
        start = _new_moon_day(k - 1, tz)
    return start


@lru_cache(maxsize=512)
def _sui_months(year: int, tz: float) -> tuple[tuple[int, bool, int, int], ...]:
    """Months from month 11 of ``year - 1`` up to month 11 of ``year``.

    Each entry is (month, leap, first day number, lunar year of that month).
    """
    first = _month11_start(year - 1, tz)
    last = _month11_start(year, tz)
    k0 = _lunation_index(first)
    count = round((last - first) / _SYNODIC_MONTH)  # 12 or 13 months
    starts = [_new_moon_day(k0 + i, tz) for i in range(count + 1)]
    leap_at = -1
    if count == 13:
        for i in range(1, count):
            # Same sign at the start of this month and the next: no major solar term inside.
            if _sun_sign(starts[i], tz) == _sun_sign(starts[i + 1], tz):
                leap_at = i
                break
    months = []
    for i in range(count):
        number = 11 + i - (1 if 0 <= leap_at <= i else 0)
        month = (number - 1) % 12 + 1
        lunar_year = year - 1 if number <= 12 else year
        months.append((month, i == leap_at, starts[i], lunar_year))
    return (*tuple(months), (11, False, starts[count], year))


def solar_to_lunar(d: date, tz: float = 7.0) -> LunarDate:
    """Lunar date of the Gregorian day ``d`` (Vietnamese calendar at UTC+7 by default)."""
    jdn = _jdn(d)
    year = d.year + 1 if jdn >= _month11_start(d.year, tz) else d.year
    months = _sui_months(year, tz)
    for (month, leap, start, lunar_year), nxt in itertools.pairwise(months):
        if start <= jdn < nxt[2]:
            return LunarDate(jdn - start + 1, month, lunar_year, leap)
    raise AssertionError(f"no lunar month holds {d}")  # pragma: no cover - months tile the sui


def _month_bounds(month: int, year: int, leap: bool, tz: float) -> tuple[int, int]:
    if not 1 <= month <= 12:
        raise ValueError(f"lunar month must be 1..12, got {month}")
    # Months 11 and 12 of lunar year Y lie in the sui ending at month 11 of Y + 1.
    sui = _sui_months(year + 1 if month >= 11 else year, tz)
    for (m, lp, start, lunar_year), nxt in itertools.pairwise(sui):
        if m == month and lp == leap and lunar_year == year:
            return start, nxt[2]
    kind = "leap month" if leap else "month"
    raise ValueError(f"lunar year {year} has no {kind} {month}")


def month_length(month: int, year: int, leap: bool = False, tz: float = 7.0) -> int:
    """Number of days (29 or 30) of a lunar month; ValueError if that month does not exist."""
    start, end = _month_bounds(month, year, leap, tz)
    return end - start


def lunar_to_solar(day: int, month: int, year: int, leap: bool = False, tz: float = 7.0) -> date:
    """Gregorian date of a lunar date; ValueError for a day or leap month that does not exist."""
    start, end = _month_bounds(month, year, leap, tz)
    if not 1 <= day <= end - start:
        raise ValueError(f"lunar month {month}/{year} has {end - start} days, not {day}")
    return _from_jdn(start + day - 1)
