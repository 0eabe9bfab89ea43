"""What goes on paper, as data: a ticket's or a receipt's slip from the rows, and back from the
JSON a print job stores (the slip is drawn later, by whoever prints it: lobby.printing.render)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import SESSION_LABELS
from core.dossiers import mask_name
from lobby.context import ticket_url
from lobby.dossiers.lookup import dossier_url
from lobby.models import Field, Office, Ticket
from printers.slips import DEFAULT_TICKET_FOOTER, ReceiptSlip, TicketSlip


def ticket_slip(t: Ticket, f: Field, o: Office, *, ahead: int, reprint: bool = False) -> TicketSlip:
    """The ticket's paper content: office, field, number, people ahead, time, session, QR link.

    Never a name, ID number, phone or priority reason (DOMAIN.md §9). `ahead` is the caller's
    count of people before the ticket in its line (the queue knows it, not the printer).
    """
    footer = (o.settings or {}).get("ticket_footer") or DEFAULT_TICKET_FOOTER
    return TicketSlip(
        office_name=o.name,
        parent_authority=o.parent_authority or "",
        field_name=f.name_vi,
        number=t.number,
        ahead=ahead,
        issued_at_local=t.issued_at.astimezone(ZoneInfo(o.timezone)),
        session_label=SESSION_LABELS.get(t.session, ""),
        qr_url=ticket_url(t),
        footer=footer,
        reprint=reprint,
        priority=bool(t.is_priority),
    )


def receipt_slip(d: Any, o: Office, pin: str | None, *, reprint: bool = False) -> ReceiptSlip:
    """The thermal Mẫu 01 receipt: code, procedure, dates, where to collect, lookup QR and PIN."""
    tz = ZoneInfo(o.timezone)
    return ReceiptSlip(
        office_name=o.name,
        parent_authority=o.parent_authority or "",
        dossier_code=d.code,
        procedure_name=d.procedure.name_vi,
        received_at_local=d.received_at.astimezone(tz),
        due_at_local=d.due_at.astimezone(tz),
        collect_place=d.return_place,
        qr_url=dossier_url(d),
        lookup_pin=pin,
        applicant_masked=mask_name(d.applicant.full_name),
        reprint=reprint,
    )


def slip_data(slip: TicketSlip | ReceiptSlip) -> dict[str, Any]:
    """A slip as JSON-safe data (datetimes as ISO strings with their offset)."""
    data = dataclasses.asdict(slip)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def slip_from_data(data: dict[str, Any]) -> TicketSlip:
    """Rebuild a stored ticket slip; unknown keys are ignored."""
    names = {f.name for f in dataclasses.fields(TicketSlip)}
    values = {k: v for k, v in data.items() if k in names}
    values["issued_at_local"] = datetime.fromisoformat(values["issued_at_local"])
    return TicketSlip(**values)


def receipt_from_data(data: dict[str, Any]) -> ReceiptSlip:
    """Rebuild a stored receipt slip; unknown keys are ignored."""
    names = {f.name for f in dataclasses.fields(ReceiptSlip)}
    values = {k: v for k, v in data.items() if k in names}
    for key in ("received_at_local", "due_at_local"):
        values[key] = datetime.fromisoformat(values[key])
    return ReceiptSlip(**values)
