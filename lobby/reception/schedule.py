"""The reception schedule: its entries (written by administrators and leaders at /admin), the
sessions to come and today's leader on duty (public: an official's name and title, the place
and the time, nothing else), the law's rhythm for the coming month, and the reception field (a
regular field of the office that the kiosk offers only on a reception day)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import select

from core import reception as rules
from core.errors import DomainError, InvalidRequest, NotFound
from lobby.context import of_this_office, office, office_ref, office_setting, today
from lobby.extensions import db
from lobby.forms import form_text
from lobby.models import Field
from lobby.reception.models import ReceptionEntry
from lobby.tx import transaction
from lobby.workcal import working_calendar

RECEPTION_FIELD = "reception_field"  # the office setting naming the reception field's code
UPCOMING_DAYS = 62  # the public list looks two months ahead
UPCOMING_MAX = 12


# --- reading a form --------------------------------------------------------------------------


def _date(value: Any, label: str, name: str, *, required: bool = True) -> date | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{label} phải có dạng YYYY-MM-DD.", field=name) from None


def _time(value: Any, label: str, name: str) -> time:
    text = value.strip() if isinstance(value, str) else ""
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0)
    except ValueError:
        raise InvalidRequest(f"{label} phải có dạng HH:MM.", field=name) from None


def _choice(value: Any, allowed: Any, name: str, label: str) -> str:
    if value not in {str(a) for a in allowed}:
        raise InvalidRequest(
            f"{label} không hợp lệ.", field=name, allowed=[str(a) for a in allowed]
        )
    return str(value)


def _repeat(form: Any, first: date) -> str:
    """The repeat rule's code from the form: once, every week, or some weeks of the month, on
    the weekday of the first date."""
    how = form.get("repeat") or "once"
    _choice(how, ("once", "weekly", "monthly"), "repeat", "Cách lặp lại")
    if how == "once":
        return ""
    if how == "weekly":
        return rules.Repeat(first.weekday()).code()
    picked = form.getlist("ordinals") if hasattr(form, "getlist") else form.get("ordinals", [])
    try:
        ordinals = sorted({int(n) for n in picked}, key=lambda n: (n == -1, n))
        if not ordinals:
            raise ValueError("no week chosen")
        return rules.Repeat(first.weekday(), tuple(ordinals)).code()
    except ValueError:
        raise InvalidRequest("Chọn tuần trong tháng.", field="ordinals") from None


def _entry_values(form: Any) -> dict[str, Any]:
    day = _date(form.get("day"), "Ngày", "day")
    assert day is not None
    start = _time(form.get("start"), "Giờ bắt đầu", "start")
    end = _time(form.get("end"), "Giờ kết thúc", "end")
    if not start < end:
        raise InvalidRequest("Giờ kết thúc phải sau giờ bắt đầu.", field="end")
    until = _date(form.get("until"), "Ngày kết thúc", "until", required=False)
    if until is not None and until < day:
        raise InvalidRequest("Ngày kết thúc lặp phải sau ngày bắt đầu.", field="until")
    return {
        "kind": _choice(form.get("kind"), tuple(rules.Kind), "kind", "Loại lịch"),
        "mode": _choice(form.get("mode") or "in_person", tuple(rules.Mode), "mode", "Hình thức"),
        "official_name": form_text(form.get("official_name"), "họ tên lãnh đạo", "official_name"),
        "official_title": form_text(form.get("official_title"), "chức vụ", "official_title"),
        "place": form_text(form.get("place"), "địa điểm", "place", required=False),
        "note": form_text(form.get("note"), "ghi chú", "note", required=False),
        "day": day,
        "start": start,
        "end": end,
        "repeat": _repeat(form, day),
        "until": until,
    }


# --- use cases -------------------------------------------------------------------------------


def add_entry(form: Any) -> ReceptionEntry:
    values = _entry_values(form)
    with transaction():
        row = ReceptionEntry(office_id=office().id, active=True, **values)
        db.session.add(row)
        db.session.flush()
        return row


def update_entry(entry_id: Any, form: Any) -> ReceptionEntry:
    values = _entry_values(form)
    with transaction():
        row = of_this_office(ReceptionEntry, entry_id, "Không có mục lịch này.")
        for key, value in values.items():
            setattr(row, key, value)
        return row


def remove_entry(entry_id: Any) -> None:
    with transaction():
        db.session.delete(of_this_office(ReceptionEntry, entry_id, "Không có mục lịch này."))


def set_reception_field(code: Any) -> str:
    """Mark a field of the office as the reception one ('' for none): the kiosk offers it only
    on a day with a session, and its tickets are called at its counters like any other."""
    code = code.strip() if isinstance(code, str) else ""
    with transaction():
        o = office()
        if code:
            found = db.session.scalar(
                select(Field.id).where(Field.office_id == o.id, Field.code == code)
            )
            if found is None:
                raise NotFound("Không có lĩnh vực này.")
        o.settings = {**(o.settings or {}), RECEPTION_FIELD: code}
    return code


# --- read models -----------------------------------------------------------------------------


def _rows() -> list[ReceptionEntry]:
    return list(
        db.session.scalars(
            select(ReceptionEntry)
            .where(ReceptionEntry.office_id == office_ref().id, ReceptionEntry.active)
            .order_by(ReceptionEntry.day, ReceptionEntry.start, ReceptionEntry.id)
        )
    )


def _entry(row: ReceptionEntry) -> rules.Entry:
    try:
        repeat = rules.parse_repeat(row.repeat)
    except ValueError:  # a hand-edited row: shown once, never repeated
        repeat = None
    return rules.Entry(
        row.day,
        row.start,
        row.end,
        kind=rules.Kind(row.kind),
        mode=rules.Mode(row.mode),
        repeat=repeat,
        until=row.until,
        ref=row,
    )


def _is_working_day() -> Any:
    return working_calendar(office_ref()).is_working_day


def _public(occ: rules.Occurrence) -> dict[str, Any]:
    """One session as anyone may see it: no citizen, only the official's name and title."""
    row = occ.entry.ref
    assert isinstance(row, ReceptionEntry)
    return {
        "date": occ.day.isoformat(),
        "start": row.start.strftime("%H:%M"),
        "end": row.end.strftime("%H:%M"),
        "official": {"name": row.official_name, "title": row.official_title},
        "place": row.place,
        "mode": row.mode,
        "kind": row.kind,
    }


def _occurrences(first: date, last: date) -> list[rules.Occurrence]:
    return rules.occurrences([_entry(r) for r in _rows()], first, last, _is_working_day())


def public_schedule() -> dict[str, Any]:
    """`GET /api/v1/reception`: the sessions to come (today's included) and today's duty."""
    day = today(office_ref())
    found = _occurrences(day, day + timedelta(UPCOMING_DAYS))
    sessions = [_public(o) for o in found if o.entry.kind is not rules.Kind.DUTY]
    duty = [_public(o) for o in found if o.entry.kind is rules.Kind.DUTY and o.day == day]
    return {"today": day.isoformat(), "sessions": sessions[:UPCOMING_MAX], "duty_today": duty}


def is_reception_day(day: date | None = None) -> bool:
    """Is there a reception session (not only a leader on duty) on that day (today)?"""
    day = day or today(office_ref())
    return any(o.entry.kind is not rules.Kind.DUTY for o in _occurrences(day, day))


def reception_field_code() -> str:
    return str(office_setting(office_ref(), RECEPTION_FIELD, "") or "")


def check_ticket(code: str) -> None:
    """A ticket of the reception field only on a day with a session (a kiosk page left open
    from a reception day must not issue one the next day)."""
    if code and code == reception_field_code() and not is_reception_day():
        raise DomainError(
            "Hôm nay không có buổi tiếp công dân. Vui lòng xem lịch tiếp công dân.",
            code="no_reception_today",
        )


def kiosk_hides(codes: list[str]) -> list[str]:
    """The kiosk's fields without the reception field on a day without a session."""
    code = reception_field_code()
    if not code or code not in codes or is_reception_day():
        return codes
    return [c for c in codes if c != code]


def _rhythm_view(check: rules.Rhythm) -> dict[str, Any]:
    return {
        "month": f"{check.month:02d}/{check.year}",
        "rule": check.rule,
        "ok": check.ok,
        "days": [d.isoformat() for d in check.days],
        "missing_weeks": [(a.isoformat(), b.isoformat()) for a, b in check.missing_weeks],
        "short_by": check.short_by,
    }


def rhythm(months: int = 2) -> list[dict[str, Any]]:
    """The law's rhythm for this month and the coming one(s)."""
    entries = [_entry(r) for r in _rows()]
    works = _is_working_day()
    year, month = today(office_ref()).year, today(office_ref()).month
    out = []
    for _ in range(months):
        out.append(_rhythm_view(rules.check_month(entries, year, month, works)))
        year, month = rules.next_month(date(year, month, 1))
    return out


def admin_view() -> dict[str, Any]:
    """/admin/reception: the entries with their repeat in words, the sessions of the coming
    weeks, the rhythm check and the fields one may mark as the reception one."""
    o = office()
    rows = _rows()
    entries = []
    for row in rows:
        e = _entry(row)
        entries.append(
            {
                "row": row,
                "repeat_text": e.repeat.text() if e.repeat else "",
                "ordinals": list(e.repeat.ordinals) if e.repeat else [],
                "repeat_how": ("monthly" if e.repeat.ordinals else "weekly")
                if e.repeat
                else "once",
            }
        )
    day = today(o)
    fields = db.session.execute(
        select(Field.code, Field.name_vi).where(Field.office_id == o.id, Field.active)
    ).all()
    return {
        "entries": entries,
        "upcoming": [
            _public(x)
            for x in _occurrences(day, day + timedelta(31))
            if x.entry.kind is not rules.Kind.DUTY
        ],
        "rhythm": rhythm(),
        "fields": [{"code": c, "name": n} for c, n in fields],
        "reception_field": str(office_setting(o, RECEPTION_FIELD, "") or ""),
        "kinds": {k.value: rules.KIND_LABELS[k] for k in rules.Kind},
        "modes": {m.value: rules.MODE_LABELS[m] for m in rules.Mode},
        "today": day,
    }
