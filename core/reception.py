"""Citizen reception (tiếp công dân): the schedule's kinds and repeat rules, the dates an entry
falls on, and the law's rhythm for the commune chairman.

The rhythm (DOMAIN §9 and §14): under the Law on Citizen Reception 2013 (42/2013/QH13, Art.
15(2)) the commune chairman receives citizens at least one day a week; from 1 July 2026 Law
136/2025 asks at least 2 days a month, in person or online. Only the chairman's periodic
sessions (kind `dinh_ky`) count; a leader on duty at the desk or a thematic session does not.

A repeating entry that falls on a day off moves to the next working day ("if a holiday, the next
working day"); a one-off entry stays on the date it was given. Standard library only.
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum

LAW_136_FROM = date(2026, 7, 1)  # Law 136/2025: 2 days a month from this day
DAYS_A_MONTH = 2
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
ORDINALS_VI = {
    1: "tuần thứ nhất",
    2: "tuần thứ hai",
    3: "tuần thứ ba",
    4: "tuần thứ tư",
    -1: "tuần cuối",
}
MAX_SHIFT_DAYS = 31  # a repeating date on a day off moves at most this far


class Kind(StrEnum):
    """What a schedule entry is."""

    PERIODIC = "dinh_ky"  # the chairman's periodic reception (tiếp công dân định kỳ)
    DUTY = "truc"  # a leader on duty at the one-stop desk
    THEMATIC = "chuyen_de"  # a thematic session (chuyên đề, đột xuất)


KIND_LABELS = {
    Kind.PERIODIC: "Tiếp công dân định kỳ",
    Kind.DUTY: "Lãnh đạo trực",
    Kind.THEMATIC: "Tiếp công dân theo chuyên đề",
}


class Mode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


MODE_LABELS = {Mode.IN_PERSON: "Trực tiếp", Mode.ONLINE: "Trực tuyến"}


@dataclass(frozen=True)
class Repeat:
    """How an entry repeats: every week on `weekday`, or on the given weeks of each month
    (`ordinals` 1–4, -1 for the last). `weekday` is 0 (Monday) .. 6 (Sunday)."""

    weekday: int
    ordinals: tuple[int, ...] = ()  # () = every week

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) .. 6 (Sunday)")
        if any(n not in ORDINALS_VI for n in self.ordinals):
            raise ValueError("ordinals are 1..4 or -1 (the last)")

    def text(self) -> str:
        """'Thứ Năm hằng tuần', 'Thứ Năm tuần thứ hai và tuần thứ tư hằng tháng'."""
        day = WEEKDAYS_VI[self.weekday]
        if not self.ordinals:
            return f"{day} hằng tuần"
        names = [ORDINALS_VI[n] for n in self.ordinals]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " và " + names[-1]
        return f"{day} {joined} hằng tháng"

    def code(self) -> str:
        """The stored form: 'W3' (every Thursday), 'M3:2,4' (2nd and 4th Thursday)."""
        if not self.ordinals:
            return f"W{self.weekday}"
        return f"M{self.weekday}:" + ",".join(str(n) for n in self.ordinals)

    def dates(self, first: date, last: date) -> list[date]:
        """The rule's own dates from `first` to `last` (before any move off a day off)."""
        out: list[date] = []
        d = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        while d <= last:
            if (
                not self.ordinals
                or self._nth(d) in self.ordinals
                or (-1 in self.ordinals and (d + timedelta(days=7)).month != d.month)
            ):
                out.append(d)
            d += timedelta(days=7)
        return out

    @staticmethod
    def _nth(d: date) -> int:
        return (d.day - 1) // 7 + 1


_CODE = re.compile(r"^(?:W([0-6])|M([0-6]):(-1|[1-4])(?:,(-1|[1-4]))*)$")


def parse_repeat(code: str | None) -> Repeat | None:
    """'' or None → no repeat; 'W3' or 'M3:2,4' → the rule; anything else → ValueError."""
    if not code:
        return None
    if not _CODE.match(code):
        raise ValueError(f"not a repeat rule: {code!r}")
    if code[0] == "W":
        return Repeat(int(code[1]))
    weekday, ordinals = code[1:].split(":")
    found = sorted({int(n) for n in ordinals.split(",")}, key=lambda n: (n == -1, n))
    return Repeat(int(weekday), tuple(found))


@dataclass(frozen=True)
class Entry:
    """A schedule entry as the rules see it: its first (or only) date, an optional repeat rule
    and an optional last date."""

    day: date
    start: time
    end: time
    kind: Kind = Kind.PERIODIC
    mode: Mode = Mode.IN_PERSON
    repeat: Repeat | None = None
    until: date | None = None
    ref: object = field(default=None, compare=False)  # the caller's row, passed through

    def dates(self, first: date, last: date, is_working_day: Callable[[date], bool]) -> list[date]:
        """The dates the entry falls on between `first` and `last`, both included. A repeating
        date on a day off moves to the next working day (it may move into the range)."""
        if self.repeat is None:
            return [self.day] if first <= self.day <= last else []
        end = min(last, self.until) if self.until else last
        out: set[date] = set()
        for d in self.repeat.dates(max(self.day, first - timedelta(MAX_SHIFT_DAYS)), end):
            moved = _next_working(d, is_working_day)
            if moved is not None and first <= moved <= last:
                out.add(moved)
        return sorted(out)


def _next_working(d: date, is_working_day: Callable[[date], bool]) -> date | None:
    for _ in range(MAX_SHIFT_DAYS):
        if is_working_day(d):
            return d
        d += timedelta(days=1)
    return None


@dataclass(frozen=True)
class Occurrence:
    day: date
    entry: Entry


def occurrences(
    entries: Iterable[Entry], first: date, last: date, is_working_day: Callable[[date], bool]
) -> list[Occurrence]:
    """Every entry's dates in the range, in order of date and start time."""
    found = [Occurrence(d, e) for e in entries for d in e.dates(first, last, is_working_day)]
    return sorted(found, key=lambda o: (o.day, o.entry.start, o.entry.end))


# --- the law's rhythm ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rhythm:
    """The check of one month: the rule in force, the chairman's reception days found, and
    what is missing (weeks without a day before 1 July 2026, days short after)."""

    year: int
    month: int
    rule: str  # "weekly" (42/2013) or "monthly" (136/2025)
    days: tuple[date, ...]
    missing_weeks: tuple[tuple[date, date], ...] = ()  # (Monday, Sunday) of each week without
    short_by: int = 0  # days missing under the monthly rule

    @property
    def ok(self) -> bool:
        return not self.missing_weeks and self.short_by == 0


def rule_for(year: int, month: int) -> str:
    """'monthly' from July 2026 (Law 136/2025), 'weekly' before (Law 42/2013)."""
    return "monthly" if date(year, month, 1) >= LAW_136_FROM else "weekly"


def counts_for_rhythm(entry: Entry, rule: str) -> bool:
    """The chairman's periodic sessions count; before Law 136 only in person."""
    if entry.kind is not Kind.PERIODIC:
        return False
    return rule == "monthly" or entry.mode is Mode.IN_PERSON


def check_month(
    entries: Iterable[Entry], year: int, month: int, is_working_day: Callable[[date], bool]
) -> Rhythm:
    """Does the chairman's schedule keep the law's rhythm in this month?

    Weekly rule: every Monday–Sunday week with a working day inside the month needs a
    reception day in that week (a day in the neighbouring month's part of the week counts); a
    week with no working day at all (Tết) needs none. Monthly rule: at least 2 distinct days
    within the month."""
    rule = rule_for(year, month)
    first = date(year, month, 1)
    last = date(year, month, _cal.monthrange(year, month)[1])
    wanted = [e for e in entries if counts_for_rhythm(e, rule)]
    around = occurrences(wanted, first - timedelta(6), last + timedelta(6), is_working_day)
    days = sorted({o.day for o in around})
    inside = tuple(d for d in days if first <= d <= last)
    if rule == "monthly":
        return Rhythm(year, month, rule, inside, short_by=max(0, DAYS_A_MONTH - len(inside)))
    missing = []
    monday = first - timedelta(first.weekday())
    while monday <= last:
        sunday = monday + timedelta(6)
        week = [monday + timedelta(i) for i in range(7)]
        works = any(first <= d <= last and is_working_day(d) for d in week)
        if works and not any(monday <= d <= sunday for d in days):
            missing.append((monday, sunday))
        monday += timedelta(7)
    return Rhythm(year, month, rule, inside, missing_weeks=tuple(missing))


def next_month(d: date) -> tuple[int, int]:
    return (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
