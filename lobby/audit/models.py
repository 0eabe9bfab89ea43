"""The facts no other table keeps: sign-ins and sign-outs, a counter opened, paused (with its
reason and, once over, its length) or closed, a setting changed. Calls, transfers and serving
are in ticket_events; takeovers in counter_takeovers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db
from lobby.models import TicketEvent, UTCDateTime


class AuditEntry(db.Model):
    """One fact of the audit trail. `day` is the office's day of `at` (the per-day figures group
    by it); `seconds`: a pause's length, set when it ends (None while it lasts)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_day", "office_id", "day", "kind"),
        Index("ix_audit_entries_at", "office_id", "at"),
        Index("ix_audit_entries_counter", "counter_id", "kind", "seconds"),  # a pause that lasts
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # audit.log.Kind
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("counters.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(255), default="")
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OfficerDayFigures(db.Model):
    """Each officer's day at each counter (0: none), counted as it happens (audit.log): calls,
    tickets finished, serving time in microseconds (from the start of serving to the ticket
    leaving the officer). A year of the audit view sums these few rows, not the history."""

    __tablename__ = "officer_day_figures"
    __table_args__ = (UniqueConstraint("office_id", "day", "staff_id", "counter_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    serving_us: Mapped[int] = mapped_column(BigInteger, default=0)


# The trail lists a period's ticket events newest first: along this index it stops at a page.
Index("ix_ticket_events_at", TicketEvent.__table__.c.at)
