"""The report's own kept figures (besides lobby.models.TicketDayFigures)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db


class TicketDaySpread(db.Model):
    """A closed day's tickets for the percentiles and the heat map (lobby/stats/spread.py): one
    row per dimension and key (dim "all" key 0, "field", "counter", "staff", "proc"), its
    counts as JSON: n issued, done served, no no-shows, w and s the waits and service times as
    {half-minute: tickets} (core.figures), and in the "all" row h {hour: tickets issued} and st
    {status: tickets} (the day's signature: counted anew when its tickets no longer match)."""

    __tablename__ = "ticket_day_spread"
    __table_args__ = (UniqueConstraint("office_id", "service_day", "dim", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service_day: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(8))
    key: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
