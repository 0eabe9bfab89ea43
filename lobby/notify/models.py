"""The tables of notifications: who asked to be told (encrypted), and what waits to be sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db
from lobby.models import EncryptedText, UTCDateTime


class NotifyContact(db.Model):
    """How to reach the citizen of one ticket or one dossier: a phone number (given at the
    kiosk, at booking or, with consent, at dossier intake) and/or the ticket page's push
    subscription. Personal data: encrypted, used only for these messages. A ticket's row is
    deleted at the end of its service day (lobby.notify.contacts.forget_past_days)."""

    __tablename__ = "notify_contacts"
    # A day's walk-in tickets of one phone number, counted in its booking limits.
    __table_args__ = (Index("ix_notify_contacts_phone_key", "phone_key", "service_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    # The ticket's service day (None for a dossier): the day after it, the row goes.
    service_day: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    # A ticket's phone number as a keyed hash (lobby.crypto.blind_index, the bookings' kind
    # "booking-phone"): the booking limits per person count the day's walk-in tickets with it.
    phone_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    push_subscription: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    # "N places from your turn" goes once per ticket.
    near_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotifyMessage(db.Model):
    """One message waiting for its adapter, written in the transaction of the change it tells
    and sent after the commit by the outbox sender (lobby.webhooks.OutboxSender): a restart or
    an unreachable gateway loses none. The recipient (a phone number or a push subscription)
    is encrypted and wiped once the message is delivered or given up."""

    __tablename__ = "notify_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(12))  # gateway | webpush
    event: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    body: Mapped[str] = mapped_column(Text)  # JSON: the event's words and data, no personal data
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
