"""Working calendar of a one-stop office: public holidays, day swaps and reception windows.

Rules for generated holidays (Labour Code 2019, Art. 112; DOMAIN §5):

* 1 Jan; 30 Apr; 1 May; Hùng Kings' day (10th day of lunar month 3);
* Tết: 5 days — the last day of the ending lunar year and days 1–4 of the new one. This is
  the pattern the government chose for civil servants in 2020–2026 (2026: Mon 16 – Fri 20 Feb,
  29 tháng Chạp to mùng 4). A Tết day on a Saturday is given back on the working day before the
  block, one on a Sunday on the working day after it (2023, 2024, 2025 arrangements);
* National Day: 2 Sep plus one adjacent day, the one the yearly announcements of 2021–2026
  chose: Mon→3 Sep, Tue/Wed→1 Sep, Thu→3 Sep, Fri/Sat→1 Sep, Sun→3 Sep;
* any other holiday on Saturday or Sunday gives a compensatory day off (*nghỉ bù*) on the next
  Monday–Friday that is not already a day off (2023: Hùng Kings on Sat 29 Apr → Tue 2 May).

The exact days are fixed each year by a government announcement, so the generated list is only
a proposal: ``KNOWN_GOVERNMENT_DAYS`` holds the reviewed civil-servant arrangement of a year and
replaces the generated list for that year, and administrators add their own days on top.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from core.lunar import lunar_to_solar, month_length

__all__ = [
    "DEFAULT_WINDOWS",
    "KNOWN_GOVERNMENT_DAYS",
    "UNCONFIRMED",
    "CalendarDay",
    "DayKind",
    "WorkingCalendar",
    "default_calendar",
    "national_holidays",
]

UNCONFIRMED = "UNCONFIRMED"

_MON, _TUE, _WED, _THU, _FRI, _SAT, _SUN = range(7)
# Civil servants' week (Decision 188/1999/QĐ-TTg); compensatory days are placed on these.
_CIVIL_WEEK = frozenset({_MON, _TUE, _WED, _THU, _FRI})
# How far a search for a working day may run before the calendar is declared to have none.
_SEARCH_LIMIT_DAYS = 3700


class DayKind(StrEnum):
    HOLIDAY = "holiday"
    COMPENSATORY_OFF = "compensatory_off"
    SWAP_OFF = "swap_off"
    SWAP_WORKDAY = "swap_workday"
    LOCAL_CLOSURE = "local_closure"


_OFF_KINDS = frozenset(
    {DayKind.HOLIDAY, DayKind.COMPENSATORY_OFF, DayKind.SWAP_OFF, DayKind.LOCAL_CLOSURE}
)


@dataclass(frozen=True)
class CalendarDay:
    """One dated exception to the weekly pattern; every kind but SWAP_WORKDAY is a day off."""

    day: date
    kind: DayKind
    name: str
    note: str = ""

    @property
    def is_off(self) -> bool:
        return self.kind in _OFF_KINDS


# --------------------------------------------------------------------------------------------
# Generated national holidays


def _next_civil_workday(d: date, taken: set[date]) -> date:
    d += timedelta(days=1)
    while d.weekday() not in _CIVIL_WEEK or d in taken:
        d += timedelta(days=1)
    return d


def _prev_civil_workday(d: date, taken: set[date]) -> date:
    d -= timedelta(days=1)
    while d.weekday() not in _CIVIL_WEEK or d in taken:
        d -= timedelta(days=1)
    return d


def _tet_days(year: int) -> list[CalendarDay]:
    new_year = lunar_to_solar(1, 1, year)
    last_day = month_length(12, year - 1)  # 29 or 30 tháng Chạp
    block = [
        CalendarDay(
            new_year - timedelta(days=1), DayKind.HOLIDAY, f"Tết Nguyên đán ({last_day} Tết)"
        )
    ]
    block += [
        CalendarDay(new_year + timedelta(days=i), DayKind.HOLIDAY, f"Tết Nguyên đán (mùng {i + 1})")
        for i in range(4)
    ]
    taken = {h.day for h in block}
    extra: list[CalendarDay] = []
    for h in block:
        if h.day.weekday() == _SAT:
            off = _prev_civil_workday(block[0].day, taken)
        elif h.day.weekday() == _SUN:
            off = _next_civil_workday(block[-1].day, taken)
        else:
            continue
        taken.add(off)
        extra.append(CalendarDay(off, DayKind.COMPENSATORY_OFF, f"Nghỉ bù {h.name}"))
    return block + extra


# Adjacent National Day by the weekday of 2 Sep (days to add to 2 Sep).
_NATIONAL_DAY_ADJACENT = {_MON: 1, _TUE: -1, _WED: -1, _THU: 1, _FRI: -1, _SAT: -1, _SUN: 1}


def national_holidays(year: int, *, culture_day: bool = False) -> list[CalendarDay]:
    """Generated public holidays of ``year`` with compensatory days, sorted by date.

    ``culture_day`` adds 24 Nov, Ngày Văn hóa Việt Nam (Politburo decision of 2026, Resolution
    80-NQ/TW; not yet in the Labour Code — UNCONFIRMED as a legal holiday).
    """
    sep2 = date(year, 9, 2)
    fixed = [
        CalendarDay(date(year, 1, 1), DayKind.HOLIDAY, "Tết Dương lịch"),
        CalendarDay(
            lunar_to_solar(10, 3, year), DayKind.HOLIDAY, "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
        ),
        CalendarDay(date(year, 4, 30), DayKind.HOLIDAY, "Ngày Chiến thắng (30/4)"),
        CalendarDay(date(year, 5, 1), DayKind.HOLIDAY, "Ngày Quốc tế Lao động (1/5)"),
        CalendarDay(sep2, DayKind.HOLIDAY, "Quốc khánh (2/9)"),
    ]
    if year >= 2021:  # the adjacent day came with the Labour Code 2019, in force 1 Jan 2021
        adjacent = sep2 + timedelta(days=_NATIONAL_DAY_ADJACENT[sep2.weekday()])
        fixed.append(CalendarDay(adjacent, DayKind.HOLIDAY, "Quốc khánh (ngày liền kề)"))
    if culture_day:
        fixed.append(
            CalendarDay(date(year, 11, 24), DayKind.HOLIDAY, "Ngày Văn hóa Việt Nam (24/11)")
        )
    tet = _tet_days(year)
    taken = {h.day for h in tet} | {h.day for h in fixed}
    compensatory: list[CalendarDay] = []
    for h in sorted(fixed, key=lambda c: c.day):
        if h.day.weekday() not in _CIVIL_WEEK:
            off = _next_civil_workday(h.day, taken)
            taken.add(off)
            compensatory.append(CalendarDay(off, DayKind.COMPENSATORY_OFF, f"Nghỉ bù {h.name}"))
    return sorted(tet + fixed + compensatory, key=lambda c: c.day)


# --------------------------------------------------------------------------------------------
# Reviewed civil-servant arrangements. Sources:
# 2025: Announcement 6150/TB-BLĐTBXH (Tết: Sat 25 Jan – Sun 2 Feb, 5 Tết days + 4 weekend days);
#       swap for 30/4–1/5: Fri 2 May off, made up on Sat 26 Apr; National Day Mon 1 – Tue 2 Sep.
# 2026: New Year 1–4 Jan (Government Office letter of 25 Dec 2025: Fri 2 Jan swapped off; the
#       make-up Saturday is not in the sources at hand); Tết Sat 14 – Sun 22 Feb (5 Tết days
#       Mon 16 – Fri 20 Feb); Hùng Kings on Sun 26 Apr → Mon 27 Apr off (press, Feb 2026);
#       National Day 1–2 Sep with Mon 31 Aug swapped for Sat 22 Aug (proposal reported in the
#       press and in the `holidays` package; not checked against the decision); 24 Nov
#       Ngày Văn hóa Việt Nam (Politburo decision, law pending).
# 2027: nothing published yet: the generated list, every day marked UNCONFIRMED.


def _d(y: int, m: int, d: int) -> date:
    return date(y, m, d)


def _h(day: date, name: str, note: str = "") -> CalendarDay:
    return CalendarDay(day, DayKind.HOLIDAY, name, note)


def _comp(day: date, name: str, note: str = "") -> CalendarDay:
    return CalendarDay(day, DayKind.COMPENSATORY_OFF, name, note)


def _swap(off: date, workday: date, note: str = "", workday_note: str = "") -> list[CalendarDay]:
    return [
        CalendarDay(off, DayKind.SWAP_OFF, f"Nghỉ hoán đổi, làm bù ngày {workday:%d/%m/%Y}", note),
        CalendarDay(
            workday,
            DayKind.SWAP_WORKDAY,
            f"Làm bù cho ngày nghỉ {off:%d/%m/%Y}",
            workday_note or note,
        ),
    ]


_GOV_2025: list[CalendarDay] = [
    _h(_d(2025, 1, 1), "Tết Dương lịch"),
    _comp(_d(2025, 1, 27), "Nghỉ bù Tết Nguyên đán (mùng 4)"),
    _h(_d(2025, 1, 28), "Tết Nguyên đán (29 Tết)"),
    _h(_d(2025, 1, 29), "Tết Nguyên đán (mùng 1)"),
    _h(_d(2025, 1, 30), "Tết Nguyên đán (mùng 2)"),
    _h(_d(2025, 1, 31), "Tết Nguyên đán (mùng 3)"),
    _h(_d(2025, 2, 1), "Tết Nguyên đán (mùng 4)"),
    _h(_d(2025, 4, 7), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
    *_swap(_d(2025, 5, 2), _d(2025, 4, 26)),
    _h(_d(2025, 4, 30), "Ngày Chiến thắng (30/4)"),
    _h(_d(2025, 5, 1), "Ngày Quốc tế Lao động (1/5)"),
    _h(_d(2025, 9, 1), "Quốc khánh (ngày liền kề)"),
    _h(_d(2025, 9, 2), "Quốc khánh (2/9)"),
]

_GOV_2026: list[CalendarDay] = [
    _h(_d(2026, 1, 1), "Tết Dương lịch"),
    *_swap(_d(2026, 1, 2), _d(2026, 1, 10), workday_note=UNCONFIRMED),
    _h(_d(2026, 2, 16), "Tết Nguyên đán (29 Tết)"),
    _h(_d(2026, 2, 17), "Tết Nguyên đán (mùng 1)"),
    _h(_d(2026, 2, 18), "Tết Nguyên đán (mùng 2)"),
    _h(_d(2026, 2, 19), "Tết Nguyên đán (mùng 3)"),
    _h(_d(2026, 2, 20), "Tết Nguyên đán (mùng 4)"),
    _h(_d(2026, 4, 26), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
    _comp(_d(2026, 4, 27), "Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
    _h(_d(2026, 4, 30), "Ngày Chiến thắng (30/4)"),
    _h(_d(2026, 5, 1), "Ngày Quốc tế Lao động (1/5)"),
    *_swap(_d(2026, 8, 31), _d(2026, 8, 22), note=UNCONFIRMED),
    _h(_d(2026, 9, 1), "Quốc khánh (ngày liền kề)"),
    _h(_d(2026, 9, 2), "Quốc khánh (2/9)"),
    _h(_d(2026, 11, 24), "Ngày Văn hóa Việt Nam (24/11)", UNCONFIRMED),
]

_GOV_2027: list[CalendarDay] = [
    dataclasses.replace(c, note=UNCONFIRMED) for c in national_holidays(2027, culture_day=True)
]

KNOWN_GOVERNMENT_DAYS: dict[int, list[CalendarDay]] = {
    2025: sorted(_GOV_2025, key=lambda c: c.day),
    2026: sorted(_GOV_2026, key=lambda c: c.day),
    2027: _GOV_2027,
}


# --------------------------------------------------------------------------------------------
# The calendar


def _hm(h: int, m: int = 0) -> time:
    return time(h, m)


# Typical commune reception hours (DOMAIN §5): 07:00–11:30 and 13:30–17:00, exactly 8 h.
DEFAULT_WINDOWS: tuple[tuple[int, time, time], ...] = tuple(
    (wd, start, end)
    for wd in range(_MON, _SAT)
    for start, end in ((_hm(7), _hm(11, 30)), (_hm(13, 30), _hm(17)))
)
# Saturday-morning reception (Decision 127/2007/QĐ-TTg) when Saturday counts.
_SATURDAY_WINDOWS: tuple[tuple[int, time, time], ...] = ((_SAT, _hm(7), _hm(11, 30)),)


class WorkingCalendar:
    """Which days an office works and its reception windows; dated days override the week.

    A dated day off (holiday, compensatory, swap, local closure) is never a working day; a
    SWAP_WORKDAY always is. When several entries share a date, the last one given wins, so
    administrators' entries passed after the national table override it.
    """

    def __init__(
        self,
        *,
        workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4}),
        days: Iterable[CalendarDay] = (),
        windows: Sequence[tuple[int, time, time]] | None = None,
        saturday_counts: bool = False,
    ) -> None:
        if any(not 0 <= wd <= 6 for wd in workdays):
            raise ValueError("workdays are weekday numbers 0 (Monday) .. 6 (Sunday)")
        if saturday_counts:
            workdays = workdays | {_SAT}
        if windows is None:
            windows = DEFAULT_WINDOWS + (_SATURDAY_WINDOWS if saturday_counts else ())
        by_weekday: dict[int, list[tuple[time, time]]] = {}
        for wd, start, end in windows:
            if not 0 <= wd <= 6:
                raise ValueError(f"window weekday must be 0..6, got {wd}")
            if not start < end:
                raise ValueError(f"window must end after it starts: {start}–{end}")
            by_weekday.setdefault(wd, []).append((start, end))
        for wd, spans in by_weekday.items():
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                if start < end:
                    raise ValueError(f"overlapping windows on weekday {wd}")
        self.workdays = frozenset(workdays)
        self.saturday_counts = saturday_counts
        self._windows = {wd: tuple(spans) for wd, spans in by_weekday.items()}
        # Days without windows of their own (swap workdays) borrow Monday's, or the first
        # workday's that has windows.
        reference = [_MON, *sorted(self.workdays)]
        self._reference_windows: tuple[tuple[time, time], ...] = next(
            (self._windows[wd] for wd in reference if wd in self._windows), ()
        )
        self._days: dict[date, CalendarDay] = {}
        for entry in days:
            self._days[entry.day] = entry

    @property
    def days(self) -> list[CalendarDay]:
        """The dated entries in force (one per date), sorted by date."""
        return [self._days[d] for d in sorted(self._days)]

    def entry(self, d: date) -> CalendarDay | None:
        """The dated entry for ``d``, if any."""
        return self._days.get(d)

    def with_days(self, extra: Iterable[CalendarDay]) -> WorkingCalendar:
        """A copy of this calendar with ``extra`` entries added on top (they win on a clash)."""
        clone = WorkingCalendar.__new__(WorkingCalendar)
        clone.__dict__.update(self.__dict__)
        clone._days = dict(self._days)
        for entry in extra:
            clone._days[entry.day] = entry
        return clone

    def is_working_day(self, d: date) -> bool:
        """A dated entry decides; otherwise the weekday must be one of ``workdays``."""
        entry = self._days.get(d)
        if entry is not None:
            return not entry.is_off
        return d.weekday() in self.workdays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for _ in range(_SEARCH_LIMIT_DAYS):
            d += timedelta(days=1)
            if self.is_working_day(d):
                return d
        raise ValueError("the calendar has no working day within ten years")

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        for _ in range(_SEARCH_LIMIT_DAYS):
            d -= timedelta(days=1)
            if self.is_working_day(d):
                return d
        raise ValueError("the calendar has no working day within ten years")

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (n ≥ 1); day 1 is the first one after ``d``."""
        if n < 1:
            raise ValueError("n must be at least 1")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Count of working days d with a < d ≤ b (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a + timedelta(days=1)
        while d <= b:
            if self.is_working_day(d):
                count += 1
            d += timedelta(days=1)
        return count

    def windows_on(self, d: date) -> list[tuple[time, time]]:
        """Reception windows of ``d`` in local time, empty on a day off.

        A make-up day (SWAP_WORKDAY), and a working weekday without windows of its own, use
        Monday's windows.
        """
        entry = self._days.get(d)
        if entry is not None and entry.kind is DayKind.SWAP_WORKDAY:
            return list(self._reference_windows)
        if not self.is_working_day(d):
            return []
        return list(self._windows.get(d.weekday()) or self._reference_windows)


def default_calendar(
    years: Iterable[int],
    *,
    culture_day: bool = False,
    saturday_counts: bool = False,
) -> WorkingCalendar:
    """Mon–Fri office with the known government arrangement of each year, else the generated one.

    ``culture_day`` only affects generated years (see ``national_holidays``).
    """
    days: list[CalendarDay] = []
    for year in sorted(set(years)):
        known = KNOWN_GOVERNMENT_DAYS.get(year)
        days += known if known is not None else national_holidays(year, culture_day=culture_day)
    return WorkingCalendar(days=days, saturday_counts=saturday_counts)
