"""Printing: slips as data (slips), drawn off the loop (render), print jobs on the database and
the printer lease (store), printer_status (status), the print agents' side (agents), and class
Printing, the PrintQueue port's implementation with its workers (service).

Features reach the printer only through ctx().printing (lobby.context.PrintQueue). The modules
import each other directly, never this package; the names below are re-exported for today's
importers until the sweep.
"""

from __future__ import annotations

from lobby.models import Field, Office, Ticket
from lobby.printing import slips
from lobby.printing.agents import (
    AGENT_JOB_LIMIT,  # noqa: F401  re-export until the sweep
    NotAgentPrinter,  # noqa: F401  re-export until the sweep
)
from lobby.printing.service import Printing  # noqa: F401  re-export until the sweep
from lobby.services import _ahead
from printers.slips import TicketSlip


def ticket_slip(
    t: Ticket, f: Field, o: Office, *, reprint: bool = False, ahead: int | None = None
) -> TicketSlip:
    """Until the sweep: the old signature, counting the people ahead when not given (for
    tests/integration/test_api_tickets.py); lobby.printing.slips.ticket_slip wants `ahead`."""
    return slips.ticket_slip(t, f, o, ahead=_ahead(t) if ahead is None else ahead, reprint=reprint)
