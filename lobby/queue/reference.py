"""The reference rows every request reads: the office's windows and days off, fields, counters,
tickets by id or token, the lists the kiosk and the admin show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select

from core.access import SUPERVISORS, DeviceKind
from core.errors import Forbidden, InvalidRequest, NotFound
from core.numbering import WorkingWindow as WindowRule
from core.numbering import hours_text, is_open
from lobby.context import ctx, local_now, office_ref
from lobby.extensions import db
from lobby.forms import int64
from lobby.models import (
    Counter,
    Device,
    Field,
    Office,
    Procedure,
    StaffUser,
    Ticket,
    WorkingWindow,
    counter_fields,
)
from lobby.workcal import day_entry

# Statements on the hot paths are built once: SQLAlchemy then only binds the values, instead of
# building and hashing a new statement on every request (most of a request's CPU).
_WINDOWS = (
    select(WorkingWindow)
    .where(
        WorkingWindow.office_id == bindparam("office"),
        WorkingWindow.purpose == bindparam("purpose"),
    )
    .order_by(WorkingWindow.weekday, WorkingWindow.start)
)
_FIELD = select(Field).where(
    Field.office_id == bindparam("office"), Field.code == bindparam("code")
)


def windows(o: Office, purpose: str = "ticketing") -> list[WindowRule]:
    def load() -> tuple[WindowRule, ...]:
        rows = db.session.scalars(_WINDOWS, {"office": o.id, "purpose": purpose})
        return tuple(WindowRule(w.weekday, w.start, w.end, w.purpose) for w in rows)

    return list(ctx().reference.get(("windows", o.id, purpose), load))


def is_day_off(o: Office, day: date) -> bool:
    """A public holiday, compensatory or swapped day off, or a local closure (not a weekend:
    the working windows decide those). The calendar is the national table plus the office's rows."""

    def load() -> bool:
        entry = day_entry(o, day)
        return entry is not None and entry.is_off

    return ctx().reference.get(("day_off", o.id, day), load)


def is_issuing_now(o: Office) -> bool:
    if ctx().open_always:
        return True
    now = local_now(o)
    return is_open(windows(o), now, day_off=is_day_off(o, now.date()))


def field_by_code(o: Office, code: Any) -> Field:
    _check_field_code(code)
    return _active_field(db.session.scalar(_FIELD, {"office": o.id, "code": code}))


def field_ref(o: Any, code: Any) -> Any:
    """An active field's row, read-only and cached like office_ref()."""
    _check_field_code(code)
    table = Field.__table__

    def load() -> Any:
        stmt = select(table).where(table.c.office_id == o.id, table.c.code == code)
        return db.session.execute(stmt).first()

    return _active_field(ctx().reference.get(("field", o.id, code), load))


def field_code(field_id: int) -> str | None:
    """A field's code by its id (cached like field_ref())."""
    return ctx().reference.get(
        ("field_code", field_id),
        lambda: db.session.scalar(select(Field.code).where(Field.id == field_id)),
    )


def _check_field_code(code: Any) -> None:
    if not isinstance(code, str) or not code:
        raise InvalidRequest("Thiếu lĩnh vực (service).", field="service")


def _active_field(found: Any) -> Any:
    if found is None or not found.active:
        raise NotFound("Không có lĩnh vực này.", field="service")
    return found


_COUNTER = select(Counter).where(
    Counter.office_id == bindparam("office"), Counter.number == bindparam("number")
)
_COUNTER_BY_NUMBER = {False: _COUNTER, True: _COUNTER.with_for_update()}


def counter_by_number(o: Office, number: Any, *, lock: bool = False) -> Counter:
    try:
        n = int64(number)
    except (TypeError, ValueError):
        raise InvalidRequest("Số quầy không hợp lệ.", field="counter") from None
    found = db.session.scalar(_COUNTER_BY_NUMBER[lock], {"office": o.id, "number": n})
    if found is None or not found.active:
        raise NotFound(f"Không có quầy số {n}.")
    return found


_TICKET_BY_ID = {
    False: select(Ticket).where(Ticket.id == bindparam("id")),
    True: select(Ticket).where(Ticket.id == bindparam("id")).with_for_update(of=Ticket),
}


def ticket_by_id(ticket_id: int, *, lock: bool = False) -> Ticket:
    found = db.session.scalar(_TICKET_BY_ID[lock], {"id": ticket_id})
    if found is None:
        raise NotFound("Không tìm thấy phiếu.")
    return found


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.public_token == token))


def board_field_codes(device: Device | None) -> list[str]:
    """The fields a board (or kiosk) shows: its configured ones, else every active field."""
    o = office_ref()
    codes = list(
        db.session.scalars(
            select(Field.code)
            .where(Field.office_id == o.id, Field.active)
            .order_by(Field.sort_order)
        )
    )
    wanted = (device.settings or {}).get("fields") if device is not None else None
    return [c for c in codes if c in wanted] if wanted else codes


def counter_ref(c: Counter | None) -> dict[str, Any] | None:
    return None if c is None else {"number": c.number, "name": c.name}


def may_operate(user: StaffUser, c: Counter) -> bool:
    """Leaders and admins may act at any counter; an officer at their own or the one they hold."""
    return user.role in SUPERVISORS or c.id in (user.counter_id,) or c.staff_id == user.id


def counter_for_staff(user: StaffUser, number: int, *, lock: bool = False) -> Counter:
    c = counter_by_number(office_ref(), number, lock=lock)
    if not may_operate(user, c):
        raise Forbidden(f"Tài khoản này không được phân công tại quầy số {c.number}.")
    return c


_COUNTER_FIELDS = (
    select(Field.id, Field.code)
    .join(counter_fields, counter_fields.c.field_id == Field.id)
    .where(counter_fields.c.counter_id == bindparam("counter"))
    .order_by(Field.sort_order, Field.id)
)


def counter_fields_ref(counter_id: int) -> tuple[tuple[int, str], ...]:
    """(id, code) of the fields a counter serves, in display order (cached like field_ref())."""
    return ctx().reference.get(
        ("counter_fields", counter_id),
        lambda: tuple(
            (row.id, row.code)
            for row in db.session.execute(_COUNTER_FIELDS, {"counter": counter_id})
        ),
    )


def procedures_list(service: str | None) -> dict[str, Any]:
    o = office_ref()
    stmt = select(Procedure).where(Procedure.office_id == o.id, Procedure.active)
    if service:
        f = field_by_code(o, service)
        stmt = stmt.where(Procedure.field_id == f.id)
    rows = db.session.scalars(stmt.order_by(Procedure.id)).all()
    return {
        "procedures": [
            {
                "code": p.code,
                "national_code": p.national_code,
                "name": p.name_vi,
                "service": p.field.code,
                "deadline": {"value": p.deadline_value, "unit": p.deadline_unit},
                "fee": p.fee_text,
                "components": p.components or [],
            }
            for p in rows
        ]
    }


def procedures_by_field() -> list[dict[str, Any]]:
    """The office's active fields, in kiosk order, each with the procedures it accepts."""
    o = office_ref()
    procs = procedures_list(None)["procedures"]
    fields = db.session.scalars(
        select(Field).where(Field.office_id == o.id, Field.active).order_by(Field.sort_order)
    ).all()
    return [
        {
            "code": f.code,
            "name": f.name_vi,
            "name_en": f.name_en,
            "procedures": [p for p in procs if p["service"] == f.code],
        }
        for f in fields
    ]


WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def office_info() -> dict[str, str]:
    """What any public page may say about the office: name, address, hotline, reception hours."""
    o = office_ref()
    rules = windows(o, "reception") or windows(o)
    days = sorted({w.weekday for w in rules})
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        day_text = f"{WEEKDAY_NAMES[days[0]]} – {WEEKDAY_NAMES[days[-1]]}"
    else:
        day_text = ", ".join(WEEKDAY_NAMES[d] for d in days)
    return {
        "name": o.name,
        "parent_authority": o.parent_authority or "",
        "address": o.address or "",
        "hotline": o.hotline or "",
        "hours": hours_text(rules),
        "days": day_text,
    }


def board_device(board_id: Any) -> Device:
    """The lobby board asked for by its id (`?board=` of the board's snapshot); NotFound for an
    id that is no number or no board."""
    try:
        device = db.session.get(Device, int64(board_id))
    except ValueError:
        device = None
    if device is None or device.kind != DeviceKind.BOARD:
        raise NotFound("Không có màn hình này.")
    return device
