"""Sổ theo dõi hồ sơ (Circular 03/2025, Mẫu 07): one book per office and year, a dossier's
entry number its place in the year by time of receipt; a period's page of the book (printable
on A4, and as an Excel workbook) with the circular's columns."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from core.errors import InvalidRequest
from core.spreadsheet import safe_cell
from lobby.context import iso, office, office_tz
from lobby.extensions import db
from lobby.models import Dossier, Office

MAX_BOOK_DAYS = 92  # a quarter at most on one page (each row decrypts its applicant)
COLUMNS = (
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Tên tổ chức, cá nhân",
    "Địa chỉ, số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Ngày, giờ nhận hồ sơ",
    "Ngày, giờ hẹn trả kết quả",
    "Ngày, giờ trả kết quả",
    "Cách thức nhận kết quả",
    "Ký nhận",
)


def _year_start(o: Office, year: int) -> datetime:
    return datetime.combine(date(year, 1, 1), time(), office_tz(o))


def book_entry(d: Dossier, o: Office | None = None) -> tuple[int, int]:
    """(volume, entry number): the year of receipt and the dossier's place among the office's
    dossiers received that year, by time of receipt (ties by id)."""
    o = o or office()
    year = d.received_at.astimezone(office_tz(o)).year
    before = db.session.scalar(
        select(func.count(Dossier.id)).where(
            Dossier.office_id == o.id,
            Dossier.received_at >= _year_start(o, year),
            or_(
                Dossier.received_at < d.received_at,
                and_(Dossier.received_at == d.received_at, Dossier.id < d.id),
            ),
        )
    )
    return year, int(before or 0) + 1


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date]:
    """?from=&to= (inclusive, YYYY-MM-DD); default this month so far; within one year and at
    most MAX_BOOK_DAYS days."""
    try:
        start = date.fromisoformat(raw_from) if raw_from else today.replace(day=1)
        end = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise InvalidRequest("Ngày phải có dạng YYYY-MM-DD (from, to).", field="from") from None
    if end < start:
        raise InvalidRequest("Ngày kết thúc (to) phải sau ngày bắt đầu (from).", field="to")
    if start.year != end.year or (end - start).days >= MAX_BOOK_DAYS:
        raise InvalidRequest(
            "Sổ theo dõi in tối đa 92 ngày, trong cùng một năm (một quyển sổ).", field="to"
        )
    return start, end


def book_page(start: date, end: date) -> dict[str, Any]:
    """The book's rows for dossiers received from `start` to `end` (office days, inclusive)."""
    o = office()
    tz = office_tz(o)
    first = datetime.combine(start, time(), tz)
    after = datetime.combine(end + timedelta(days=1), time(), tz)
    before = db.session.scalar(
        select(func.count(Dossier.id)).where(
            Dossier.office_id == o.id,
            Dossier.received_at >= _year_start(o, start.year),
            Dossier.received_at < first,
        )
    )
    dossiers = db.session.scalars(
        select(Dossier)
        .where(Dossier.office_id == o.id, Dossier.received_at >= first, Dossier.received_at < after)
        .options(selectinload(Dossier.applicant))
        .order_by(Dossier.received_at, Dossier.id)
    ).all()
    rows = []
    for n, d in enumerate(dossiers, start=int(before or 0) + 1):
        person = d.applicant
        contact = ", ".join(x for x in (person.address, person.phone) if x)
        rows.append(
            {
                "number": n,
                "code": d.code,
                "procedure": d.procedure.name_vi,
                "applicant": person.full_name,
                "contact": contact,
                "lead_agency": d.resolving_office or o.name,
                "received_at": iso(d.received_at, o),
                "due_at": iso(d.due_at, o),
                "returned_at": iso(d.returned_at, o),
                "collect": d.return_place,
            }
        )
    return {"volume": start.year, "from": start.isoformat(), "to": end.isoformat(), "rows": rows}


def _when(value: str | None) -> str:
    """'2026-11-30T08:00:00+07:00' → '08:00 30/11/2026' (already office time), as on the page."""
    return datetime.fromisoformat(value).strftime("%H:%M %d/%m/%Y") if value else ""


def book_xlsx(page: dict[str, Any], office_name: str) -> bytes:
    """The same page as an Excel workbook (text cells never taken for formulas)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"Sổ {page['volume']}"
    ws.append([f"SỔ THEO DÕI HỒ SƠ – {office_name}"])
    ws.append([f"Quyển số: {page['volume']} · Từ {page['from']} đến {page['to']}"])
    ws["A1"].font = Font(bold=True)
    ws.append(list(COLUMNS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in page["rows"]:
        r = {k: _when(r[k]) if k.endswith("_at") else r[k] for k in r}
        ws.append(
            [r["number"]]
            + [
                safe_cell(r[k] or "")
                for k in (
                    "code",
                    "procedure",
                    "applicant",
                    "contact",
                    "lead_agency",
                    "received_at",
                    "due_at",
                    "returned_at",
                    "collect",
                )
            ]
            + [""]
        )
    for col, width in zip("ABCDEFGHIJK", (6, 28, 36, 24, 30, 30, 20, 20, 20, 30, 14), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
