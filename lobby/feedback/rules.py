"""What a citizen sends (declared once: the API checks and documents it, the /gop-y page sends
the same through the same use case) and the office's feedback deadlines (settings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields
from marshmallow.validate import OneOf

from core.deadlines import DeadlineUnit, DueMode, due_at
from core.feedback import DEFAULT_DEADLINE_DAYS, FeedbackTopic
from lobby.context import office, office_setting, office_tz
from lobby.forms import Open, Predicate, form_whole, gettext_noop, says, text
from lobby.models import Office
from lobby.tx import transaction
from lobby.workcal import working_calendar

TOPICS = [t.value for t in FeedbackTopic]
CONTENT_LIMIT = 3000
BAD_TOPIC = gettext_noop("Nội dung phản ánh thuộc loại nào (topic) không hợp lệ.")
NO_CONTENT = gettext_noop("Vui lòng nhập nội dung phản ánh, kiến nghị.")
TOO_LONG = gettext_noop("Nội dung phản ánh dài quá 3000 ký tự.")
BAD_CONTACT = gettext_noop("Thông tin liên hệ (contact) phải là một đối tượng JSON.")


class Contact(Open):
    """Optional: to be called back. Encrypted, shown to staff only, never public."""

    error_messages = {"type": BAD_CONTACT}  # noqa: RUF012  (marshmallow: not an object)

    name = text("name", limit=120)
    phone = text("phone", limit=40)


class FeedbackRequest(Open):
    """A citizen's feedback about the desk (phản ánh, kiến nghị)."""

    topic = fields.String(
        required=True,
        validate=OneOf(TOPICS, error=BAD_TOPIC),
        error_messages=says(BAD_TOPIC),
        metadata={"details": {BAD_TOPIC: {"allowed": TOPICS}}},
    )
    content = fields.String(
        required=True,
        validate=[
            Predicate(lambda v: bool(v.strip()), NO_CONTENT),
            Predicate(lambda v: len(v.strip()) <= CONTENT_LIMIT, TOO_LONG),
        ],
        error_messages=says(NO_CONTENT),
        metadata={"minLength": 1, "maxLength": CONTENT_LIMIT},
    )
    ticket_token = text(
        "ticket_token", limit=64, metadata={"description": "the ticket it is about (its QR token)"}
    )
    dossier_token = text(
        "dossier_token", limit=64, metadata={"description": "the dossier it is about (its token)"}
    )
    contact = fields.Nested(
        Contact, allow_none=True, error_messages={"invalid": BAD_CONTACT, "type": BAD_CONTACT}
    )


def deadline_days(o: Office, name: str) -> int:
    """One of the office's feedback deadlines in working days (DOMAIN §14 by default)."""
    try:
        days = int(office_setting(o, name, DEFAULT_DEADLINE_DAYS[name]))
    except (TypeError, ValueError):
        days = DEFAULT_DEADLINE_DAYS[name]
    return max(1, days)


def due_after(start: datetime, o: Office, name: str) -> datetime:
    """The close of the N-th working day after `start`'s day (N: the setting `name`)."""
    return due_at(
        start,
        deadline_days(o, name),
        DeadlineUnit.WORKING_DAY,
        working_calendar(o),
        office_tz(o),
        mode=DueMode.END_OF_NTH_DAY,
    )


def body_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The checked body as stored: trimmed texts, the contact's blank fields dropped."""
    contact = raw.get("contact") or {}
    return {
        "topic": raw["topic"],
        "content": raw["content"].strip(),
        "ticket_token": (raw.get("ticket_token") or "").strip() or None,
        "dossier_token": (raw.get("dossier_token") or "").strip() or None,
        "name": (contact.get("name") or "").strip() or None,
        "phone": (contact.get("phone") or "").strip() or None,
    }


DEADLINE_LABELS = {
    "feedback_assign_days": "số ngày làm việc để giao xử lý",
    "feedback_answer_days": "số ngày làm việc để trả lời",
    "feedback_publish_days": "số ngày làm việc để công khai kết quả",
}


def deadlines(o: Office) -> dict[str, int]:
    return {name: deadline_days(o, name) for name in DEFAULT_DEADLINE_DAYS}


def update_deadlines(form: Any) -> dict[str, int]:
    """The office's feedback deadlines in working days (1–60 each); they apply to feedback
    received (answered) from now on."""
    chosen = {
        name: form_whole(form.get(name), label, name, 1, 60)
        for name, label in DEADLINE_LABELS.items()
    }
    with transaction():
        o = office()
        o.settings = {**(o.settings or {}), **chosen}  # a new dict: the JSON column sees it
    return chosen
