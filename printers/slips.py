"""What goes on paper, as plain data: the queue ticket and the Mẫu 01 receipt slip.

A ticket never carries a name, ID number, phone or priority reason (DOMAIN.md §9), only that it
is a priority ticket; the receipt
carries only the masked applicant name (DOMAIN.md §10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_TICKET_FOOTER = "Vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!"
RECEIPT_NOTE = "Khi đến nhận kết quả, vui lòng mang theo giấy này"


def _require_aware(name: str, value: datetime) -> None:
    """Refuse naive datetimes: a slip shows office-local time, so the zone must be known."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (office local time)")


OUTSIDE_HOURS_LINE = "Ngoài giờ làm việc"


@dataclass(frozen=True)
class TicketSlip:
    """A queue ticket (phiếu số thứ tự); every field is safe to show in public."""

    office_name: str
    parent_authority: str
    field_name: str
    number: str
    ahead: int
    issued_at_local: datetime
    session_label: str  # "Sáng", "Chiều"; "" issued outside the working hours
    qr_url: str
    footer: str = DEFAULT_TICKET_FOOTER
    reprint: bool = False
    sample: bool = False
    priority: bool = False  # "ƯU TIÊN" on paper; never which group (DOMAIN §9)

    def __post_init__(self) -> None:
        _require_aware("issued_at_local", self.issued_at_local)
        if self.ahead < 0:
            raise ValueError("ahead cannot be negative")


def session_line(slip: TicketSlip) -> str:
    """ "Buổi: Sáng", or that the ticket was issued outside the working hours (no session)."""
    return f"Buổi: {slip.session_label}" if slip.session_label else OUTSIDE_HOURS_LINE


@dataclass(frozen=True)
class ReceiptSlip:
    """A receipt and appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả, Mẫu 01)."""

    office_name: str
    parent_authority: str
    dossier_code: str
    procedure_name: str
    received_at_local: datetime
    due_at_local: datetime
    collect_place: str
    qr_url: str
    lookup_pin: str | None
    applicant_masked: str
    sample: bool = False
    reprint: bool = False

    def __post_init__(self) -> None:
        _require_aware("received_at_local", self.received_at_local)
        _require_aware("due_at_local", self.due_at_local)
