"""The bookable days and slots of a field, each slot's capacity and how many it holds.

Settings (the office's `settings`, all optional): `booking_days` (working days after today, 6),
`booking_slot_minutes` (30), `booking_capacity` (a number, or {field code: number}; default
from the slot's length, the counters serving the field and its average service time, half of it
offered to bookings), `booking_per_person` (2), `booking_per_field` (1), `booking_per_address`
(6), `booking_grace_minutes` (15), `booking_auto_checkin` (false).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core import bookings as rules
from core.bookings import Slot
from core.errors import InvalidRequest
from lobby.bookings.models import Booking
from lobby.context import ctx, local_now, office, office_setting, office_tz
from lobby.extensions import db
from lobby.forms import form_whole
from lobby.models import Counter, Field, counter_fields
from lobby.queue.line import estimate_inputs
from lobby.queue.reference import is_day_off, windows
from lobby.tx import transaction

LOOK_AHEAD_DAYS = 45  # enough calendar days to find the next N working days past Tết


@dataclass(frozen=True)
class Settings:
    days: int
    slot_minutes: int
    per_person: int
    per_field: int
    per_address: int
    grace_minutes: int
    auto_checkin: bool


def settings(o: Any) -> Settings:
    def number(name: str, default: int, low: int) -> int:
        value = office_setting(o, name, default)
        return max(low, int(value)) if isinstance(value, int | float) else default

    return Settings(
        days=number("booking_days", rules.DEFAULT_DAYS_AHEAD, 0),
        slot_minutes=number("booking_slot_minutes", rules.DEFAULT_SLOT_MINUTES, 5),
        per_person=number("booking_per_person", rules.DEFAULT_PER_PERSON, 1),
        per_field=number("booking_per_field", rules.DEFAULT_PER_FIELD, 1),
        per_address=number("booking_per_address", rules.DEFAULT_PER_ADDRESS, 1),
        grace_minutes=number("booking_grace_minutes", rules.DEFAULT_GRACE_MINUTES, 0),
        auto_checkin=bool(office_setting(o, "booking_auto_checkin", False)),
    )


def fields_list(o: Any) -> list[dict[str, str]]:
    """The active fields a booking may name, in the kiosk's order."""
    rows = db.session.execute(
        select(Field.code, Field.name_vi, Field.name_en)
        .where(Field.office_id == o.id, Field.active)
        .order_by(Field.sort_order, Field.id)
    ).all()
    return [{"code": c, "name": vi, "name_en": en} for c, vi, en in rows]


def _spans(o: Any, day: date) -> list[tuple[Any, Any]]:
    if is_day_off(o, day):
        return []
    return [(w.start, w.end) for w in windows(o) if w.weekday == day.weekday()]


def bookable_days(o: Any) -> list[date]:
    """Today (when it is a working day) and the next `booking_days` working days."""
    today = local_now(o).date()
    wanted = settings(o).days
    later: list[date] = []
    for offset in range(1, LOOK_AHEAD_DAYS):
        if len(later) >= wanted:
            break
        day = today + timedelta(days=offset)
        if _spans(o, day):
            later.append(day)
    return ([today] if _spans(o, today) else []) + later


def slots_of(o: Any, day: date) -> list[Slot]:
    """The day's slots that have not ended yet."""
    now = ctx().clock.now()
    minutes = settings(o).slot_minutes
    return [
        s for s in rules.day_slots(day, _spans(o, day), minutes) if rules.bookable(at(o, s)[1], now)
    ]


def at(o: Any, slot: Slot) -> tuple[datetime, datetime]:
    """The slot's start and end as aware instants (the office's zone)."""
    tz = office_tz(o)
    return (
        datetime.combine(slot.day, slot.start, tzinfo=tz),
        datetime.combine(slot.day, slot.end, tzinfo=tz),
    )


def _assigned_counters(field_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Counter)
            .join(counter_fields, counter_fields.c.counter_id == Counter.id)
            .where(counter_fields.c.field_id == field_id, Counter.active)
        )
        or 0
    )


def capacity(o: Any, f: Any) -> int:
    """Bookings one slot of the field takes: the admin's number, else the default."""
    configured = office_setting(o, "booking_capacity", None)
    if isinstance(configured, dict):
        configured = configured.get(f.code)
    if isinstance(configured, int) and configured >= 0:
        return configured
    avg = estimate_inputs(f.id)[1]
    return rules.default_capacity(settings(o).slot_minutes, avg, _assigned_counters(f.id))


def taken(o: Any, f: Any, day: date) -> dict[datetime, int]:
    """Active bookings of the field on the day, by slot start."""
    rows = db.session.execute(
        select(Booking.slot_at, func.count())
        .where(
            Booking.office_id == o.id,
            Booking.day == day,
            Booking.field_id == f.id,
            Booking.status.in_([s.value for s in rules.ACTIVE]),
        )
        .group_by(Booking.slot_at)
    ).all()
    return {slot_at: int(n) for slot_at, n in rows}


def day_table(o: Any, f: Any, day: date) -> list[dict[str, Any]]:
    """The day's open slots with what is left of each: the booking page's choices."""
    room = capacity(o, f)
    held = taken(o, f, day)
    out = []
    for s in slots_of(o, day):
        start, _end = at(o, s)
        out.append(
            {
                "slot": s.label,
                "end": s.end.strftime("%H:%M"),
                "left": max(0, room - held.get(start, 0)),
            }
        )
    return out


def next_free(o: Any, f: Any, after: Slot | None = None) -> dict[str, str] | None:
    """The first slot with room from `after` on (the same day first, then the next days)."""
    room = capacity(o, f)
    for day in bookable_days(o):
        if after is not None and day < after.day:
            continue
        held = taken(o, f, day)
        for s in slots_of(o, day):
            if after is not None and day == after.day and s.start <= after.start:
                continue
            if held.get(at(o, s)[0], 0) < room:
                return {"day": day.isoformat(), "slot": s.label}
    return None


# --- the administrator's settings (/admin/setup, "Lấy số từ xa") ------------------------------

MAX_DAYS, MAX_CAPACITY, MAX_GRACE = 30, 500, 240
SLOT_LENGTHS = (15, 20, 30, 45, 60)


def settings_view() -> dict[str, Any]:
    """The settings as the setup page shows them, with each field's capacity (None: automatic)
    and the automatic value beside it."""
    o = office()
    configured = office_setting(o, "booking_capacity", None)
    per_field = configured if isinstance(configured, dict) else {}
    fields = db.session.scalars(
        select(Field).where(Field.office_id == o.id, Field.active).order_by(Field.sort_order)
    ).all()
    cfg = settings(o)
    return {
        "settings": cfg,
        "slot_lengths": SLOT_LENGTHS,
        "max_days": MAX_DAYS,
        "max_capacity": MAX_CAPACITY,
        "max_grace": MAX_GRACE,
        "fields": [
            {
                "code": f.code,
                "name": f.name_vi,
                "capacity": per_field.get(f.code),
                "automatic": rules.default_capacity(
                    cfg.slot_minutes, estimate_inputs(f.id)[1], _assigned_counters(f.id)
                ),
            }
            for f in fields
        ],
    }


def update_settings(form: Any) -> None:
    """Days offered, slot length, grace, automatic check-in, and each field's capacity a slot
    (an empty box: automatic)."""
    length = form_whole(
        form.get("booking_slot_minutes"), "độ dài khung giờ", "booking_slot_minutes", 5, 120
    )
    if length not in SLOT_LENGTHS:
        raise InvalidRequest("Độ dài khung giờ không hợp lệ.", field="booking_slot_minutes")
    values: dict[str, Any] = {
        "booking_days": form_whole(
            form.get("booking_days"), "số ngày làm việc nhận đặt lịch", "booking_days", 0, MAX_DAYS
        ),
        "booking_slot_minutes": length,
        "booking_grace_minutes": form_whole(
            form.get("booking_grace_minutes"),
            "số phút chờ sau khung giờ",
            "booking_grace_minutes",
            0,
            MAX_GRACE,
        ),
        "booking_auto_checkin": bool(form.get("booking_auto_checkin")),
    }
    with transaction():
        o = office()
        capacity: dict[str, int] = {}
        for code in fields_codes(o):
            given = form_whole(
                form.get(f"capacity_{code}"),
                "số chỗ mỗi khung giờ",
                f"capacity_{code}",
                0,
                MAX_CAPACITY,
                blank=True,
            )
            if given is not None:
                capacity[code] = given
        o.settings = {**(o.settings or {}), **values, "booking_capacity": capacity}


def fields_codes(o: Any) -> list[str]:
    return [f["code"] for f in fields_list(o)]
