"""The bookings table (its migration: e2a5c6b7d805). Personal data: the phone number is
encrypted; limits count by `person_key`, a keyed hash (lobby.crypto.blind_index), never the
number itself."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.bookings import BookingStatus
from lobby.extensions import db
from lobby.models import EncryptedText, Field, UTCDateTime


class Booking(db.Model):
    """One remote ticket: a field, a day and a slot, until it is checked in (then `ticket_id`
    is the ticket it became), cancelled or expired."""

    __tablename__ = "bookings"
    __table_args__ = (
        # The slot's count, and the periodic job's open bookings of a day.
        Index("ix_bookings_slot", "office_id", "day", "status", "field_id", "slot_at"),
        Index("ix_bookings_person", "person_key", "day"),
        Index("ix_bookings_address", "address_key", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"))
    day: Mapped[date] = mapped_column(Date)
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the slot's start
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime())
    code: Mapped[str] = mapped_column(String(12), unique=True)  # typed or scanned at the kiosk
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=BookingStatus.BOOKED.value)
    person_key: Mapped[str] = mapped_column(String(64))  # blind index of the phone, or address
    address_key: Mapped[str] = mapped_column(String(64))  # blind index of the client address
    phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True
    )
    checkin: Mapped[str | None] = mapped_column(String(10), nullable=True)  # kiosk | auto
    # The one-time code sent by SMS, as a keyed hash (lobby.crypto.blind_index), and the wrong
    # tries so far; None when the number was taken on trust.
    otp_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    otp_tries: Mapped[int] = mapped_column(Integer, default=0)
    field: Mapped[Field] = relationship(foreign_keys=[field_id], lazy="joined")
