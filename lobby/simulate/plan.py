"""The day's citizens, drawn in advance from a seed: who comes when, for what, and what they do."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The demo office's fields with how often each is asked for (DOMAIN: hộ tịch and chứng thực
# carry most of a commune's traffic) and how long serving takes there, in minutes (low, high).
FIELD_MIX = {
    "ho_tich": (30, (4, 12)),
    "chung_thuc": (25, (2, 6)),
    "dat_dai": (12, (6, 15)),
    "chinh_sach": (10, (5, 12)),
    "kinh_te": (6, (5, 12)),
    "hoi_dap": (9, (2, 5)),
    "nhan_ket_qua": (8, (2, 4)),
}
# Procedures a dossier is accepted for, by field (codes of the demo office).
DOSSIER_PROCEDURES = {
    "ho_tich": ["HT-XNTTHN", "HT-TDCC", "HT-KS"],
    "dat_dai": ["DD-BD", "XD-GP"],
    "chinh_sach": ["CS-TCXH", "CS-NCC"],
    "kinh_te": ["KT-HKD"],
    "chung_thuc": ["CT-HD", "CT-BS"],
}
RATING_SCALES = {
    3: ["rat_hai_long", "hai_long", "khong_hai_long"],
    5: ["rat_hai_long", "hai_long", "binh_thuong", "khong_hai_long", "rat_khong_hai_long"],
}
OUTCOMES = ["guided_only", "supplement_guidance", "refused", "result_returned"]


@dataclass
class Citizen:
    """One person of the day and what they will do, drawn in advance from the seed."""

    index: int
    arrive: datetime
    service: str
    priority: str | None
    dossier: str | None = None  # procedure code when a dossier is accepted
    absent: bool = False  # not there when called: recalled, then marked no-show
    comes_back: bool = False  # an absent citizen who returns and is put back in line
    transfer: tuple[str, Any] | None = None  # ("service", code) or ("counter", n)
    rates: bool = False
    comment: str = ""


def _between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))


def _arrivals(rng: random.Random, day: date, tz: ZoneInfo, count: int) -> list[datetime]:
    """Two thirds in the morning with a peak at 8–9 o'clock; each instant its own."""

    def at(h: int, m: int) -> datetime:
        return datetime.combine(day, time(h, m), tzinfo=tz)

    arrivals = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.30:
            arrivals.append(_between(rng, at(8, 0), at(9, 0)))  # the morning peak
        elif roll < 0.66:
            arrivals.append(_between(rng, at(7, 5), at(11, 0)))
        else:
            arrivals.append(_between(rng, at(13, 35), at(16, 30)))
        arrivals[-1] = arrivals[-1].replace(microsecond=0) + timedelta(microseconds=i)
    arrivals.sort()
    return arrivals


def _citizen(
    rng: random.Random,
    i: int,
    when: datetime,
    mix: dict[str, tuple[int, tuple[int, int]]],
    procedures: dict[str, list[str]],
    dossier_every: int,
) -> Citizen:
    """Citizen `i`: the field asked for, a priority group or none, and what happens to them."""
    codes = list(mix)
    service = rng.choices(codes, [mix[c][0] for c in codes])[0]
    priority = (
        rng.choice(["elderly", "disabled", "pregnant", "meritorious"])
        if rng.random() < 0.12
        else None
    )
    c = Citizen(i, when, service, priority)
    roll = rng.random()
    if i % dossier_every == 0 and procedures.get(service):
        c.dossier = rng.choice(procedures[service])
    elif roll < 0.06:
        c.absent = True
        c.comes_back = rng.random() < 0.4
    elif roll < 0.09:
        c.transfer = ("service", rng.choice([x for x in codes if x != service]))
    elif roll < 0.11:
        c.transfer = ("counter", 0)  # the counter is chosen when it happens
    c.rates = not c.absent and rng.random() < 0.6
    if c.rates and rng.random() < 0.2:
        c.comment = rng.choice(
            ["Cán bộ nhiệt tình.", "Chờ hơi lâu.", "Hướng dẫn rõ ràng, cảm ơn.", ""]
        )
    return c


def plan_citizens(
    day: date,
    tz: ZoneInfo,
    *,
    count: int = 300,
    seed: int = 20261130,
    mix: dict[str, tuple[int, tuple[int, int]]] | None = None,
    procedures: dict[str, list[str]] | None = None,
) -> list[Citizen]:
    """The day's citizens in order of arrival: two thirds in the morning, a peak at 8–9 o'clock,
    about one in eight in a priority group, 40 dossiers for every 300 citizens."""
    rng = random.Random(seed)
    arrivals = _arrivals(rng, day, tz, count)
    mix = mix or FIELD_MIX
    procedures = DOSSIER_PROCEDURES if procedures is None else procedures
    dossier_every = max(1, round(count / 40))
    people = [
        _citizen(rng, i, when, mix, procedures, dossier_every) for i, when in enumerate(arrivals)
    ]
    # Enough dossiers whatever the draw: the first citizens of dossier fields take the rest.
    want = round(count * 40 / 300)
    have = sum(1 for c in people if c.dossier)
    for c in people:
        if have >= want:
            break
        if not c.dossier and procedures.get(c.service) and not c.absent and not c.transfer:
            c.dossier = rng.choice(procedures[c.service])
            have += 1
    return people
