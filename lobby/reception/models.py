"""The reception tables: the schedule's entries (public: an official's name and title, never a
citizen) and the reception book (sổ tiếp công dân, form 03/TCD), whose personal data is
encrypted like applicants'."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db
from lobby.models import EncryptedText, UTCDateTime


class ReceptionEntry(db.Model):
    """One line of the schedule: a date (the first one when it repeats), a time window, who,
    where, in person or online, and its kind (core.reception.Kind). `repeat` is a
    core.reception.Repeat code ('' = once, 'W3', 'M3:2,4'); `until` ends a repeat."""

    __tablename__ = "reception_entries"
    __table_args__ = (Index("ix_reception_entries_office", "office_id", "active"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20), default="in_person")
    official_name: Mapped[str] = mapped_column(String(255))
    official_title: Mapped[str] = mapped_column(String(255), default="")
    place: Mapped[str] = mapped_column(String(255), default="")
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    repeat: Mapped[str] = mapped_column(String(20), default="")
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReceptionRecord(db.Model):
    """One line of the reception book (form 03/TCD), and the receipt of the documents the
    citizen handed in (form 02/TCD). Personal data and the matter itself: encrypted, never
    public, never logged."""

    __tablename__ = "reception_records"
    __table_args__ = (Index("ix_reception_records_received", "office_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # STT in the book, per year
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    official: Mapped[str] = mapped_column(String(255), default="")  # who received (public role)
    citizen_name: Mapped[str] = mapped_column(EncryptedText())
    citizen_id_number: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    citizen_address: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    citizen_phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    content: Mapped[str] = mapped_column(EncryptedText())
    documents: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    handling: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
