"""Sample slips for `print-test` and the docs: invented data, marked as a sample on paper."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image

from core.clock import SESSION_LABELS, session_of
from printers.slips import ReceiptSlip, TicketSlip

SAMPLE_OFFICE = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"
SAMPLE_AUTHORITY = "UBND XÃ THẠNH LỢI"
# An opaque token of the real length (>= 128 bits), not a real ticket.
SAMPLE_TICKET_URL = "https://thanhloi.example.vn/t/q7Z3kT9vXw2mB8rN4pLs6A"
SAMPLE_DOSSIER_URL = "https://thanhloi.example.vn/h/Hk2Vn8QzR5tW1yLp9cXe3M"


def sample_ticket_slip(now_local: datetime) -> TicketSlip:
    """A ticket with invented data, marked as a sample, issued at now_local."""
    return TicketSlip(
        office_name=SAMPLE_OFFICE,
        parent_authority=SAMPLE_AUTHORITY,
        field_name="Hộ tịch",
        number="A025",
        ahead=3,
        issued_at_local=now_local,
        session_label=SESSION_LABELS[session_of(now_local)],
        qr_url=SAMPLE_TICKET_URL,
        sample=True,
    )


def sample_receipt_slip(now_local: datetime) -> ReceiptSlip:
    """A receipt slip with invented data, marked as a sample, received at now_local."""
    due = (now_local + timedelta(days=7)).replace(hour=16, minute=0, second=0, microsecond=0)
    return ReceiptSlip(
        office_name=SAMPLE_OFFICE,
        parent_authority=SAMPLE_AUTHORITY,
        dossier_code=f"000.00.24.H56-{now_local:%y%m%d}-0007",
        procedure_name="Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế",
        received_at_local=now_local,
        due_at_local=due,
        collect_place="Quầy số 1 – Bộ phận một cửa, UBND xã Thạnh Lợi",
        qr_url=SAMPLE_DOSSIER_URL,
        lookup_pin="4831",
        applicant_masked="N*** V*** A",
        sample=True,
    )


def write_png(image: Image.Image, path: str | Path) -> Path:
    """Write a rendered slip as a PNG (the raster a printer would get) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, format="PNG")
    return target
