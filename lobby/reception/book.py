"""The reception book (sổ tiếp công dân, form 03/TCD) and the receipt of documents (form
02/TCD). Staff only: the citizen's name, ID number, address, phone, the matter, the documents
and the handling are encrypted at rest (lobby.models.EncryptedText), never public, never
logged. A line's number (STT) runs per year."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.errors import InvalidRequest
from lobby.context import ctx, of_this_office, office, today
from lobby.extensions import db
from lobby.forms import form_text
from lobby.models import StaffUser
from lobby.reception.models import ReceptionRecord
from lobby.tx import transaction

LONG = 4000  # the matter, the documents, the handling: a few paragraphs at most


def _texts(form: Any) -> dict[str, Any]:
    def optional(key: str, label: str, limit: int = 255) -> str | None:
        return form_text(form.get(key), label, key, required=False, limit=limit) or None

    return {
        "citizen_name": form_text(form.get("citizen_name"), "họ tên công dân", "citizen_name"),
        "citizen_id_number": optional("citizen_id_number", "số định danh", 20),
        "citizen_address": optional("citizen_address", "địa chỉ"),
        "citizen_phone": optional("citizen_phone", "số điện thoại", 20),
        "content": form_text(form.get("content"), "nội dung", "content", limit=LONG),
        "documents": optional("documents", "tài liệu tiếp nhận", LONG),
        "handling": optional("handling", "hướng xử lý", LONG),
        "official": form_text(form.get("official"), "người tiếp", "official", required=False),
    }


def _received_at(value: Any, tz: ZoneInfo) -> datetime:
    """The day of the reception (a form's YYYY-MM-DD, today when empty), at the time now."""
    now = ctx().clock.now().astimezone(tz)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return now
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("Ngày tiếp phải có dạng YYYY-MM-DD.", field="day") from None
    if day > now.date():
        raise InvalidRequest("Ngày tiếp không thể ở tương lai.", field="day")
    return now if day == now.date() else datetime.combine(day, time(12), tz)


def add_record(form: Any, by: StaffUser | None) -> ReceptionRecord:
    """Write one line of the book; its STT is the next of its year."""
    values = _texts(form)
    with transaction():
        o = office()
        tz = ZoneInfo(o.timezone)
        at = _received_at(form.get("day"), tz)
        start = datetime(at.year, 1, 1, tzinfo=tz)
        end = datetime(at.year + 1, 1, 1, tzinfo=tz)
        last = db.session.scalar(
            select(func.max(ReceptionRecord.number)).where(
                ReceptionRecord.office_id == o.id,
                ReceptionRecord.received_at >= start,
                ReceptionRecord.received_at < end,
            )
        )
        row = ReceptionRecord(
            office_id=o.id,
            number=(last or 0) + 1,
            received_at=at,
            staff_id=by.id if by is not None else None,
            **values,
        )
        db.session.add(row)
        db.session.flush()
        return row


def update_handling(record_id: Any, form: Any) -> ReceptionRecord:
    """The handling is often written later (referred, answered, guided)."""
    handling = form_text(
        form.get("handling"), "hướng xử lý", "handling", required=False, limit=LONG
    )
    with transaction():
        row = of_this_office(ReceptionRecord, record_id, "Không có dòng này trong sổ.")
        row.handling = handling or None
        return row


def _view(row: ReceptionRecord, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "received_at": row.received_at.astimezone(tz),
        "official": row.official,
        "citizen_name": row.citizen_name,
        "citizen_id_number": row.citizen_id_number or "",
        "citizen_address": row.citizen_address or "",
        "citizen_phone": row.citizen_phone or "",
        "content": row.content,
        "documents": row.documents or "",
        "handling": row.handling or "",
    }


def month_of(value: Any) -> tuple[int, int]:
    """'2026-12' → (2026, 12); this month for anything else."""
    try:
        year, month = (int(p) for p in str(value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    day = today(office())
    return day.year, day.month


def book_view(year: int, month: int) -> dict[str, Any]:
    """The book's lines of one month, oldest first (the print view and the staff page)."""
    o = office()
    tz = ZoneInfo(o.timezone)
    start = datetime(year, month, 1, tzinfo=tz)
    last = calendar.monthrange(year, month)[1]
    end = datetime(year, month, last, 23, 59, 59, 999999, tzinfo=tz)
    rows = db.session.scalars(
        select(ReceptionRecord)
        .where(
            ReceptionRecord.office_id == o.id,
            ReceptionRecord.received_at >= start,
            ReceptionRecord.received_at <= end,
        )
        .order_by(ReceptionRecord.received_at, ReceptionRecord.id)
    ).all()
    return {
        "year": year,
        "month": month,
        "records": [_view(r, tz) for r in rows],
        "today": today(o),
    }


def record_view(record_id: Any) -> dict[str, Any]:
    """One line, for its receipt of documents (02/TCD)."""
    o = office()
    row = of_this_office(ReceptionRecord, record_id, "Không có dòng này trong sổ.")
    return {"record": _view(row, ZoneInfo(o.timezone))}
