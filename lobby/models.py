"""Typed SQLAlchemy 2.0 models. The schema is made only by the migrations in migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.access import CounterState
from core.clock import OFFICE_TZ
from core.tickets import TicketStatus
from lobby.extensions import db


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Office(db.Model):
    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_authority: Mapped[str] = mapped_column(String(255), default="")
    province: Mapped[str] = mapped_column(String(120), default="")
    agency_code: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    hotline: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(60), default=OFFICE_TZ)
    number_format: Mapped[str] = mapped_column(String(40), default="{prefix}{seq:03d}")
    interleave_n: Mapped[int] = mapped_column(Integer, default=2)
    priority_counter_serves_normal: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WorkingWindow(db.Model):
    __tablename__ = "working_windows"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    purpose: Mapped[str] = mapped_column(String(20), default="ticketing")


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("office_id", "day", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(String(255), default="")


counter_fields = Table(
    "counter_fields",
    db.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)


class Field(db.Model):
    """A service field (lĩnh vực): a kiosk tile and a ticket number series."""

    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        UniqueConstraint("office_id", "ticket_prefix"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    ticket_prefix: Mapped[str] = mapped_column(String(4))
    color: Mapped[str] = mapped_column(String(9), default="#1565c0")
    daily_ticket_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Procedure(db.Model):
    """An administrative procedure (thủ tục) with its statutory time."""

    __tablename__ = "procedures"
    __table_args__ = (UniqueConstraint("office_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    national_code: Mapped[str] = mapped_column(String(60), default="")
    name_vi: Mapped[str] = mapped_column(String(500))
    deadline_value: Mapped[int] = mapped_column(Integer, default=0)
    deadline_unit: Mapped[str] = mapped_column(String(20), default="working_day")
    same_day_cutoff: Mapped[time | None] = mapped_column(Time, nullable=True)
    fee_text: Mapped[str] = mapped_column(String(255), default="")
    components: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The laws and decrees it rests on (căn cứ pháp lý), posted with it on /thu-tuc.
    legal_basis: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    field: Mapped[Field] = relationship()


class Counter(db.Model):
    """A counter (quầy): serves some fields, holds one ticket at a time."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("office_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    is_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(10), default=CounterState.CLOSED.value)
    pause_reason: Mapped[str] = mapped_column(String(255), default="")
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    # The "1 priority per N normal" count, valid for interleave_day only (fresh each day).
    normals_since_priority: Mapped[int] = mapped_column(Integer, default=0)
    interleave_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    fields: Mapped[list[Field]] = relationship(
        secondary=counter_fields, order_by="Field.sort_order"
    )


class StaffUser(db.Model):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # admin | leader | officer
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("counters.id", ondelete="SET NULL"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised by signing out (and kept in the session): a copied session cookie stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(db.Model):
    """Failed sign-ins per username (known or not, so the lock tells nothing about who exists)."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CounterTakeover(db.Model):
    """A counter taken with force from the officer who held it: who took it from whom, when."""

    __tablename__ = "counter_takeovers"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    counter_number: Mapped[int] = mapped_column(Integer)
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    from_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[StaffUser] = relationship()


class Device(db.Model):
    """A kiosk, board or counter tablet, known by a hashed bearer token."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # kiosk | board | tablet
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    printer_url: Mapped[str | None] = mapped_column(String(255), nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketSequence(db.Model):
    """The last number taken per (office, field, service day); taken by an atomic upsert."""

    __tablename__ = "ticket_sequences"
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True
    )
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


def _issue_time(context: Any) -> Any:
    """A new ticket's line time when its writer gives none: its issue time (bulk inserts of
    the sample history, tests that write rows)."""
    return context.get_current_parameters()["issued_at"]


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("office_id", "issue_field_id", "service_day", "seq"),
        Index("ix_tickets_queue", "office_id", "service_day", "status", "field_id", "line_at"),
        # The head of each line in queue order: call-next stops at the first match.
        Index(
            "ix_tickets_line",
            "office_id",
            "service_day",
            "status",
            "is_priority",
            "line_at",
            "seq",
            "id",
        ),
        # A counter's current ticket and no-shows; the recent service times of a field. Without
        # them both read every ticket ever issued, and the table grows by the year.
        Index("ix_tickets_counter", "counter_id", "service_day", "status"),
        Index("ix_tickets_field_done", "field_id", "status", "finished_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service_day: Mapped[date] = mapped_column(Date)
    issue_field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"))
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    session: Mapped[str] = mapped_column(String(10))  # sang | chieu
    is_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_group: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.WAITING.value)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The ticket's place in its line (core.queueing.order_key): issued_at, pushed back when the
    # citizen lets the people behind go first ("Để người sau lên trước"). Waits are still
    # measured from issued_at.
    line_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_issue_time)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    serving_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    field: Mapped[Field] = relationship(foreign_keys=[field_id], lazy="joined")
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id], lazy="joined")


class TicketEvent(db.Model):
    """Who did what to a ticket, and when."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str] = mapped_column(String(12))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TicketDayFigures(db.Model):
    """A closed day's tickets counted for the report (lobby/stats/daily.py): per field of issue,
    counter (0: none) and status, with their waits and service times summed in microseconds.
    Kept by the report itself: a day whose tickets no longer match (by status) is counted anew."""

    __tablename__ = "ticket_day_figures"
    __table_args__ = (
        UniqueConstraint("office_id", "service_day", "issue_field_id", "counter_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service_day: Mapped[date] = mapped_column(Date)
    issue_field_id: Mapped[int] = mapped_column(Integer)
    counter_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    tickets: Mapped[int] = mapped_column(Integer)
    called: Mapped[int] = mapped_column(Integer)
    wait_us: Mapped[int] = mapped_column(BigInteger)
    served: Mapped[int] = mapped_column(Integer)
    service_us: Mapped[int] = mapped_column(BigInteger)


class EncryptedText(TypeDecorator[str]):
    """Personal data encrypted at rest (Fernet); the key is the app's LOBBY_DATA_KEY."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        from lobby.crypto import encrypt  # cryptography (~7 MB): loaded with the first applicant

        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        from lobby.crypto import decrypt  # cryptography: see process_bind_param

        return decrypt(value)


class Applicant(db.Model):
    """The person who submits a dossier. Personal data: encrypted, never public, never logged."""

    __tablename__ = "applicants"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(EncryptedText())
    id_number: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    # cccd (12 digits) | passport | other: what id_number is (core.dossiers.IdType)
    id_type: Mapped[str | None] = mapped_column(String(12), nullable=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    email: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    address: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)


class DossierSequence(db.Model):
    """The running number of dossiers received per office and day (the NNNN of the code)."""

    __tablename__ = "dossier_sequences"
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class Dossier(db.Model):
    """A dossier (hồ sơ) accepted at a counter, followed by the citizen through a public token."""

    __tablename__ = "dossiers"
    # The report's period: dossiers received, and resolved by timeliness (lobby/stats/).
    __table_args__ = (
        Index("ix_dossiers_received", "office_id", "received_at"),
        Index("ix_dossiers_ready", "office_id", "result_ready_at", "timeliness"),
        # Decision 766 reads these of every dossier of a period: from the index alone.
        Index(
            "ix_dossiers_766",
            "office_id",
            "received_at",
            "status_code",
            "result_ready_at",
            "returned_at",
            "original_due_at",
            "supplement_requested_at",
            "procedure_id",
            "channel",
            "digitised",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80), unique=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    lookup_pin_hash: Mapped[str] = mapped_column(String(255))
    # Wrong lookup PINs in a row; at LOOKUP_MAX_FAILURES the public lookup is locked until
    # lookup_locked_until (kept here, not in a process, so every server process agrees).
    lookup_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lookup_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id"), nullable=True, index=True
    )
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="truc_tiep")
    resolving_office: Mapped[str] = mapped_column(String(255), default="")
    current_unit: Mapped[str] = mapped_column(String(255), default="")
    components: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Its paper components scanned at intake (Decree 118 Art. 17; Decision 766 indicator 4.2).
    digitised: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    sets_count: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    original_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    apology: Mapped[str] = mapped_column(Text, default="")
    status_code: Mapped[int] = mapped_column(Integer, default=2, index=True)
    supplement_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timeliness: Mapped[str | None] = mapped_column(String(12), nullable=True)
    return_place: Mapped[str] = mapped_column(String(255), default="")
    fee_method: Mapped[str] = mapped_column(String(120), default="")
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    procedure: Mapped[Procedure] = relationship(lazy="joined")
    applicant: Mapped[Applicant] = relationship()


class DossierEvent(db.Model):
    """One row of the processing control sheet (Mẫu 05): who, when, from and to which unit."""

    __tablename__ = "dossier_events"
    # Decision 766 reads the supplement requests, stops and refusals (lobby/stats/indicators.py).
    __table_args__ = (Index("ix_dossier_events_action", "action", "dossier_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_status: Mapped[int] = mapped_column(Integer)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="counter")  # counter | import | api
    from_unit: Mapped[str] = mapped_column(String(255), default="")
    to_unit: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note_internal: Mapped[str] = mapped_column(Text, default="")


class Rating(db.Model):
    """A citizen's satisfaction answer, linked to ticket, counter, officer and field; no PII."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_period", "office_id", "created_at", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id"), nullable=True, unique=True
    )
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(20))  # qr_phone | counter_tablet
    level: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebhookDelivery(db.Model):
    """An outgoing dossier change, stored with the change and retried until delivered."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class IdempotencyRecord(db.Model):
    """The first response to a mutating request, replayed for the same key within 24 h."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PrintJob(db.Model):
    """A slip waiting for (or sent to) one printer; stored before anything is printed."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_queue", "printer_key", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), nullable=True
    )
    printer_url: Mapped[str] = mapped_column(String(255))
    printer_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), default="ticket")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True
    )
    # The slip's fields (datetimes as ISO strings); rendered by the worker, never in the request.
    slip: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|printed|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
