"""The feedback tables. The contact (name, phone) is personal data: encrypted at rest like an
applicant's (lobby.models.EncryptedText), shown to staff only, never public, never logged."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db
from lobby.models import EncryptedText, UTCDateTime


class Feedback(db.Model):
    """One submission (phản ánh, kiến nghị) and where its handling stands."""

    __tablename__ = "feedback"
    # The leader's list (open ones by deadline) and the figures' period (by received_at).
    __table_args__ = (
        Index("ix_feedback_received", "office_id", "received_at"),
        Index("ix_feedback_status_due", "office_id", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(24))  # core.feedback.FeedbackTopic
    content: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))  # phone | kiosk | counter_tablet
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True
    )
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="SET NULL"), nullable=True
    )
    contact_name: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # core.feedback.FeedbackStatus
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assign_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    publish_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FeedbackStep(db.Model):
    """A row of a feedback's history: received, assigned (to whom), answered, published."""

    __tablename__ = "feedback_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))  # core.feedback.FeedbackAction
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(Text, default="")


class FeedbackSequence(db.Model):
    """The running number of feedback received per office and day (the NNNN of the code)."""

    __tablename__ = "feedback_sequences"
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
