"""Receiving a citizen's feedback: one transaction that gives it a code, a public token, its
deadlines in working days and the first row of its history. The contact is stored encrypted and
never logged."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from core.errors import DomainError
from core.feedback import FeedbackAction, FeedbackStatus, feedback_code
from core.tickets import TicketStatus
from lobby.context import ctx, office, office_tz, public_url
from lobby.dossiers.lookup import dossier_by_token, dossier_of_ticket
from lobby.dossiers.ratings import last_finished_ticket_at_counter
from lobby.extensions import db
from lobby.feedback.models import Feedback, FeedbackSequence, FeedbackStep
from lobby.feedback.rules import FeedbackRequest, body_of, due_after
from lobby.forms import check
from lobby.models import Ticket
from lobby.queue.reference import ticket_by_token
from lobby.tx import take_next, transaction

CHANNELS = ("phone", "kiosk", "counter_tablet")
# A counter tablet's feedback is about the visit at its counter: the ticket served there now,
# or the one finished there this long ago at most (after that, whoever stands at the tablet is
# no longer that citizen, and a complaint must not count against their dossier).
TABLET_VISIT_WINDOW = timedelta(minutes=10)


def feedback_url(f: Feedback) -> str:
    return public_url(f"gop-y/{f.public_token}")


def visit_at_counter(counter_number: int | None) -> Ticket | None:
    """The ticket a counter tablet's feedback is about (the one its rating screen asks about,
    while it is served or just after), or None."""
    if counter_number is None:
        return None
    try:
        t = last_finished_ticket_at_counter(counter_number)
    except DomainError:  # the tablet's counter is gone: the feedback still counts
        return None
    if t is None or t.status == TicketStatus.SERVING:
        return t
    finished = t.finished_at or t.serving_started_at
    return t if finished and ctx().clock.now() - finished <= TABLET_VISIT_WINDOW else None


def submit_feedback(
    raw: dict[str, Any], channel: str = "phone", counter_number: int | None = None
) -> dict[str, Any]:
    """A citizen's feedback (FeedbackRequest) → {"code", "token", "url", "due_at"}. A ticket or
    dossier token links it to that visit (an unknown one is ignored: the feedback still
    counts); the ticket's dossier is linked too, for the satisfaction figures. Sent from a
    counter tablet (`counter_number`) without a token, it links the visit at that counter."""
    body = body_of(check(FeedbackRequest, raw))
    assert channel in CHANNELS
    with transaction():
        o = office()
        now = ctx().clock.now()
        ticket = ticket_by_token(body["ticket_token"]) if body["ticket_token"] else None
        if ticket is None and not body["dossier_token"]:
            ticket = visit_at_counter(counter_number)
        dossier = dossier_by_token(body["dossier_token"]) if body["dossier_token"] else None
        if dossier is None and ticket is not None:
            dossier = dossier_of_ticket(ticket)
        day = now.astimezone(office_tz(o)).date()
        f = Feedback(
            office_id=o.id,
            code=feedback_code(
                f"{day:%y%m%d}", take_next(FeedbackSequence, office_id=o.id, day=day)
            ),
            public_token=secrets.token_urlsafe(18),
            topic=body["topic"],
            content=body["content"],
            channel=channel,
            ticket_id=ticket.id if ticket is not None and ticket.office_id == o.id else None,
            dossier_id=dossier.id if dossier is not None and dossier.office_id == o.id else None,
            contact_name=body["name"],
            contact_phone=body["phone"],
            status=FeedbackStatus.RECEIVED.value,
            received_at=now,
            assign_due_at=due_after(now, o, "feedback_assign_days"),
            due_at=due_after(now, o, "feedback_answer_days"),
        )
        db.session.add(f)
        db.session.flush()
        db.session.add(
            FeedbackStep(feedback_id=f.id, at=now, action=FeedbackAction.RECEIVE.value, note="")
        )
        db.session.flush()
        return {
            "code": f.code,
            "token": f.public_token,
            "url": feedback_url(f),
            "status": f.status,
            "due_at": f.due_at.astimezone(office_tz(o)).isoformat(timespec="seconds"),
        }
