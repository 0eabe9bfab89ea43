"""Satisfaction ratings: the office's scale, rating a ticket from the phone, and the counter's
rating tablet (the last ticket finished there).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.dossiers import OFFICIAL_LEVELS, RATING_ORDER, RatingLevel
from core.errors import IllegalTransition, InvalidRequest, NotFound
from core.tickets import TicketStatus
from lobby.context import ctx, office, today
from lobby.dossiers.lookup import dossier_of_ticket
from lobby.dossiers.rules import setting
from lobby.extensions import db
from lobby.forms import trimmed
from lobby.models import Office, Rating, StaffUser, Ticket
from lobby.queue.reference import counter_by_number, counter_ref, ticket_by_token
from lobby.tx import transaction

# A ticket can be rated once it has been served (or while it is).
RATEABLE = (TicketStatus.SERVING, TicketStatus.DONE)


def rating_scale(o: Office) -> list[str]:
    """The levels the office asks (best first): the three official ones, or all five."""
    if int(setting(o, "rating_levels")) == 5:
        return [x.value for x in RATING_ORDER]
    return [x.value for x in RATING_ORDER if x in OFFICIAL_LEVELS]


def rating_choices(o: Office | None = None) -> list[dict[str, str]]:
    """The faces to draw, best first, labelled in the visitor's language: the office's scale,
    or every level a scale may ask when no office is given (a page that follows the setting)."""
    labels = {
        "rat_hai_long": _("Rất hài lòng"),
        "hai_long": _("Hài lòng"),
        "binh_thuong": _("Bình thường"),
        "khong_hai_long": _("Không hài lòng"),
        "rat_khong_hai_long": _("Rất không hài lòng"),
    }
    codes = rating_scale(o) if o is not None else [x.value for x in RATING_ORDER]
    return [{"code": c, "label": labels[c]} for c in codes]


def is_rated(t: Ticket) -> bool:
    return db.session.scalar(select(Rating.id).where(Rating.ticket_id == t.id)) is not None


def rating_level(raw: Any) -> RatingLevel:
    """A level of the office's own scale (a 3-level office never stores "Bình thường"): the
    rule reads the office's setting, so it is checked here, before the body's other fields."""
    allowed = rating_scale(office())
    if raw not in allowed:
        raise InvalidRequest("Mức độ hài lòng không hợp lệ.", field="level", allowed=allowed)
    return RatingLevel(raw)


def rate_ticket(
    token: str, level: RatingLevel, comment: str | None, channel: str = "qr_phone"
) -> dict[str, Any]:
    """One rating per ticket, after service; linked to counter, officer and field, never to PII.
    `level` comes from rating_level(), `comment` checked (api.dossiers.RatingRequest)."""
    comment = trimmed(comment) or ""
    with transaction():
        o = office()
        t = ticket_by_token(token)
        if t is None:
            raise NotFound("Không tìm thấy phiếu.")
        if t.status not in RATEABLE:
            raise IllegalTransition("Quý khách có thể đánh giá sau khi được phục vụ.")
        if is_rated(t):
            raise IllegalTransition("Phiếu này đã được đánh giá. Cảm ơn quý khách!")
        d = dossier_of_ticket(t)
        db.session.add(
            Rating(
                office_id=o.id,
                ticket_id=t.id,
                dossier_id=d.id if d else None,
                counter_id=t.counter_id,
                staff_id=t.staff_id,
                field_id=t.field_id,
                channel=channel,
                level=level.value,
                comment=comment,
                created_at=ctx().clock.now(),
            )
        )
        db.session.flush()
    return {"level": level.value, "message": "Cảm ơn quý khách đã đánh giá!"}


def last_finished_ticket_at_counter(counter_number: int) -> Ticket | None:
    """The ticket a counter's rating tablet asks about: the last one finished there today."""
    o = office()
    c = counter_by_number(o, counter_number)
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.counter_id == c.id,
            Ticket.service_day == today(o),
            Ticket.status.in_(RATEABLE),
        )
        .order_by(func.coalesce(Ticket.finished_at, Ticket.serving_started_at).desc())
        .limit(1)
    )


def tablet_state(counter_number: int) -> dict[str, Any]:
    """The counter, its officer (name and title: shown by the rating rule), the ticket to rate."""
    o = office()
    c = counter_by_number(o, counter_number)
    officer = db.session.get(StaffUser, c.staff_id) if c.staff_id else None
    t = last_finished_ticket_at_counter(counter_number)
    rated = t is not None and is_rated(t)
    return {
        "counter": counter_ref(c),
        "officer": {"name": officer.full_name, "title": officer.title} if officer else None,
        "ticket": None if t is None or rated else {"number": t.number, "status": t.status},
        "levels": int(setting(o, "rating_levels")),
        "scale": rating_scale(o),
    }


def ticket_to_rate_at(counter_number: int, number: Any) -> Ticket:
    """The ticket a counter's tablet rates: the last served there, still the one it showed
    (`number`, when given); 409 otherwise, before the rating itself is looked at."""
    t = last_finished_ticket_at_counter(counter_number)
    if t is None:
        raise IllegalTransition("Chưa có lượt phục vụ nào để đánh giá tại quầy này.")
    if number is not None and number != t.number:
        raise IllegalTransition("Lượt phục vụ đã thay đổi, vui lòng đánh giá lại.")
    return t


def rate_at_counter(t: Ticket, level: RatingLevel, comment: str | None) -> dict[str, Any]:
    """The tablet's rating of the ticket ticket_to_rate_at() found."""
    return rate_ticket(t.public_token, level, comment, channel="counter_tablet")
