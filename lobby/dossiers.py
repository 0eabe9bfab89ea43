"""Dossier use cases: accept at the counter, follow through its states, rate, import, report.

Each is one transaction; its events (dossier_updated, the outgoing webhook) are published or
queued with the commit. Applicants' personal data stays in the applicants table.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.deadlines import (
    TIMELINESS_LABELS_VI,
    DeadlineUnit,
    DueMode,
    Timeliness,
    add_working_hours,
    due_at,
    timeliness,
    working_hours_between,
)
from core.dossiers import (
    OFFICIAL_LEVELS,
    RATING_ORDER,
    STATUS_LABELS,
    STATUS_NAMES,
    DossierAction,
    DossierStatus,
    IdType,
    RatingLevel,
    allowed_dossier_actions,
    dossier_code,
    mask_name,
    next_dossier_status,
    normalize_dossier_code,
    normalize_id_number,
    parse_action,
    parse_id_type,
)
from core.errors import DomainError, Forbidden, IllegalTransition, InvalidRequest, NotFound
from core.tickets import OUTCOME_LABELS_VI, Outcome
from lobby import events
from lobby.context import ctx, iso, office, office_tz, public_url, publish_after_commit
from lobby.extensions import db
from lobby.models import (
    Applicant,
    Dossier,
    DossierEvent,
    DossierSequence,
    Field,
    Office,
    Procedure,
    Rating,
    StaffUser,
    Ticket,
    WebhookDelivery,
)
from lobby.services import CONTRADICT_DOSSIER
from lobby.tx import insert_for, transaction
from lobby.workcal import working_calendar

CHANNELS = ("truc_tiep", "buu_chinh", "truc_tuyen")
# Guessing a 6-digit lookup PIN: after this many wrong PINs in a row the dossier's public lookup
# is locked for LOOKUP_LOCK (counted in the database: every server process sees the same count).
LOOKUP_MAX_FAILURES = 5
LOOKUP_LOCK = timedelta(minutes=15)
# The rate-limit bucket the lookup page (/tra-cuu) and the API lookup share (per address).
LOOKUP_SCOPE = "dossier-lookup"
PIN_HASH_METHOD = "pbkdf2:sha256:60000"
DEFAULT_SETTINGS: dict[str, Any] = {
    "due_mode": DueMode.WORKING_HOURS.value,  # UNCONFIRMED in law: a setting (DOMAIN §5)
    "timeliness_boundary": "due_day",
    "supplement_clock": "restart",  # restart | pause (DOMAIN §2)
    "saturday_counts": False,
    "hide_applicant_name": False,  # a small commune may hide even the masked name
    "due_soon_working_hours": 8.0,  # "Hồ sơ sắp đến hạn": due within one working day
    "rating_levels": 3,  # the three official levels; 5 adds Bình thường, Rất không hài lòng
}


def setting(o: Office, name: str) -> Any:
    return (o.settings or {}).get(name, DEFAULT_SETTINGS[name])


# --- views ----------------------------------------------------------------------------------


def _status(d: Dossier) -> DossierStatus:
    return DossierStatus(d.status_code)


def public_dossier_view(d: Dossier, o: Office | None = None) -> dict[str, Any]:
    """Only what DOMAIN §10 allows on a public page: no ID, phone, e-mail, address or full name."""
    o = o or office()
    status = _status(d)
    proc = d.procedure
    field = db.session.get(Field, proc.field_id)
    procedure_name = field.name_vi if field is not None and field.sensitive else proc.name_vi
    applicant = None if setting(o, "hide_applicant_name") else mask_name(d.applicant.full_name)
    collect_at = None
    if status is DossierStatus.RESULT_READY:
        collect_at = iso(d.result_ready_at, o)
    elif status not in (
        DossierStatus.RETURNED,
        DossierStatus.REFUSED,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
    ):
        collect_at = iso(d.new_due_at or d.due_at, o)
    return {
        "code": d.code,
        "procedure": procedure_name,
        "applicant": applicant,
        "received_at": iso(d.received_at, o),
        "due_at": iso(d.original_due_at, o),
        "status": STATUS_NAMES[status],
        "status_code": int(status),
        "status_label": STATUS_LABELS[status].citizen,
        "timeliness": d.timeliness,
        "timeliness_label": TIMELINESS_LABELS_VI[Timeliness(d.timeliness)]
        if d.timeliness
        else None,
        "new_due_at": iso(d.new_due_at, o),
        "apology": d.apology or None,
        "collect_at": collect_at,
        "collect_place": d.return_place,
        "url": dossier_url(d),
    }


def staff_dossier_view(d: Dossier, o: Office | None = None) -> dict[str, Any]:
    o = o or office()
    view = public_dossier_view(d, o)
    a = d.applicant
    events = db.session.scalars(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == d.id)
        .order_by(DossierEvent.at, DossierEvent.id)
    ).all()
    view.update(
        {
            "procedure": d.procedure.name_vi,
            "procedure_code": d.procedure.code,
            "applicant": {
                "full_name": a.full_name,
                "id_number": a.id_number,
                "id_type": a.id_type,
                "phone": a.phone,
                "email": a.email,
                "address": a.address,
            },
            "status_system_label": STATUS_LABELS[_status(d)].system,
            "due_at_current": iso(d.due_at, o),
            "result_ready_at": iso(d.result_ready_at, o),
            "returned_at": iso(d.returned_at, o),
            "channel": d.channel,
            "components": d.components or [],
            "sets_count": d.sets_count,
            "current_unit": d.current_unit,
            "allowed_actions": [a.value for a in allowed_dossier_actions(_status(d))],
            "ticket_id": d.ticket_id,
            "lookup_locked_until": iso(d.lookup_locked_until, o)
            if d.lookup_locked_until is not None and d.lookup_locked_until > ctx().clock.now()
            else None,
            "events": [
                {
                    "at": iso(e.at, o),
                    "action": e.action,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "from_unit": e.from_unit,
                    "to_unit": e.to_unit,
                    "reason": e.reason,
                    "items": e.items or [],
                    "new_due_at": iso(e.new_due_at, o),
                    "note": e.note_internal,
                    "source": e.source,
                    "staff": _staff_name(e.actor_staff_id),
                }
                for e in events
            ],
        }
    )
    return view


def _staff_name(staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    user = db.session.get(StaffUser, staff_id)
    return user.full_name if user else None


def dossier_url(d: Dossier) -> str:
    return public_url(f"d/{d.public_token}")


def dossier_by_code(code: Any, *, lock: bool = False) -> Dossier:
    if not isinstance(code, str) or not code or len(code) > 80:
        raise InvalidRequest("Mã hồ sơ không hợp lệ.", field="code")
    stmt = select(Dossier).where(Dossier.code == code)
    if lock:
        stmt = stmt.with_for_update(of=Dossier)
    d = db.session.scalar(stmt)
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ")
    return d


def new_pin() -> tuple[str, str]:
    """A fresh 6-digit lookup PIN and its hash; only the hash is kept (DOMAIN §4)."""
    pin = f"{secrets.randbelow(10**6):06d}"
    return pin, generate_password_hash(pin, method=PIN_HASH_METHOD)


def parse_id(applicant: dict[str, Any]) -> tuple[str | None, str | None]:
    """The applicant's ID number checked by its type (id_type: cccd by default, passport,
    other) → (number as stored, type); (None, None) when no number is given."""
    raw = _text(applicant, "id_number", limit=40)
    kind = parse_id_type(applicant.get("id_type"))
    if raw is None:
        return None, None
    return normalize_id_number(kind, raw), kind.value


def dossier_by_token(token: str) -> Dossier | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Dossier).where(Dossier.public_token == token))


def dossier_of_ticket(t: Ticket) -> Dossier | None:
    return db.session.scalar(
        select(Dossier).where(Dossier.ticket_id == t.id).order_by(Dossier.id.desc()).limit(1)
    )


# --- accepting ------------------------------------------------------------------------------


def _take_dossier_seq(office_id: int, day: date) -> int:
    stmt = (
        insert_for(db.session.get_bind().dialect.name)(DossierSequence)
        .values(office_id=office_id, day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=["office_id", "day"], set_={"last_seq": DossierSequence.last_seq + 1}
        )
        .returning(DossierSequence.last_seq)
    )
    return int(db.session.execute(stmt).scalar_one())


def _text(
    body: dict[str, Any], key: str, *, required: bool = False, limit: int = 255
) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise InvalidRequest(f"Thiếu thông tin bắt buộc: {key}.", field=key)
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"Trường {key} phải là chuỗi.", field=key)
    value = value.strip()
    if required and not value:
        raise InvalidRequest(f"Thiếu thông tin bắt buộc: {key}.", field=key)
    if len(value) > limit:
        raise InvalidRequest(f"Trường {key} dài quá {limit} ký tự.", field=key)
    return value


def parse_components(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest(
            "Thành phần hồ sơ (components) phải là một danh sách.", field="components"
        )
    out = []
    for item in raw:
        if isinstance(item, str):
            item = {"name": item}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not item["name"].strip()
        ):
            raise InvalidRequest("Mỗi thành phần hồ sơ cần có tên (name).", field="components")
        counts = {}
        for k in ("ban_chinh", "ban_chung_thuc", "ban_photo"):
            v = item.get(k, 0)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 99:
                raise InvalidRequest(f"Số bản ({k}) phải là số nguyên 0–99.", field="components")
            counts[k] = v
        out.append({"name": item["name"].strip()[:255], **counts})
    return out


def accept_dossier(body: dict[str, Any], user: StaffUser) -> dict[str, Any]:
    """Accept a complete dossier: code, due moment, lookup secret, link to the served ticket."""
    from lobby.services import may_operate, ticket_by_id

    proc_code = _text(body, "procedure", required=True, limit=60)
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        raise InvalidRequest("Thiếu thông tin người nộp (applicant).", field="applicant")
    full_name = _text(applicant, "full_name", required=True)
    id_number, id_type = parse_id(applicant)
    channel = body.get("channel", "truc_tiep")
    if channel not in CHANNELS:
        raise InvalidRequest(
            "Kênh nộp (channel) không hợp lệ.", field="channel", allowed=list(CHANNELS)
        )
    components = parse_components(body.get("components"))
    sets = body.get("sets_count", 1)
    if not isinstance(sets, int) or isinstance(sets, bool) or not 1 <= sets <= 50:
        raise InvalidRequest("Số lượng bộ hồ sơ phải từ 1 đến 50.", field="sets_count")
    with transaction():
        o = office()
        proc = db.session.scalar(
            select(Procedure).where(Procedure.office_id == o.id, Procedure.code == proc_code)
        )
        if proc is None or not proc.active:
            raise NotFound("Không có thủ tục này.", field="procedure")
        ticket = None
        if body.get("ticket_id") is not None:
            if not isinstance(body["ticket_id"], int):
                raise InvalidRequest("ticket_id phải là số.", field="ticket_id")
            ticket = ticket_by_id(body["ticket_id"], lock=True)
            if ticket.status not in ("serving", "called", "done"):
                raise IllegalTransition("Chỉ tiếp nhận hồ sơ từ phiếu đang được phục vụ.")
            if ticket.status == "done" and ticket.outcome in CONTRADICT_DOSSIER:
                # The figures would say "only guided" for a citizen whose dossier was taken.
                raise IllegalTransition(
                    _(
                        "Số %(number)s đã kết thúc với kết quả “%(outcome)s”: không thể tiếp "
                        "nhận hồ sơ từ lượt này. Hãy tiếp nhận không gắn số thứ tự.",
                        number=ticket.number,
                        outcome=_(OUTCOME_LABELS_VI[Outcome(ticket.outcome)]),
                    )
                )
            if ticket.counter is not None and not may_operate(user, ticket.counter):
                raise Forbidden("Phiếu này đang được phục vụ ở quầy khác.")
        tz = office_tz(o)
        now = ctx().clock.now()
        cal = working_calendar(o)
        due = due_at(
            now,
            proc.deadline_value,
            DeadlineUnit(proc.deadline_unit),
            cal,
            tz,
            mode=DueMode(setting(o, "due_mode")),
            same_day_cutoff=proc.same_day_cutoff or time(15, 0),
        )
        seq = _take_dossier_seq(o.id, now.astimezone(tz).date())
        code = dossier_code(
            o.agency_code or "000.00.00.H00",
            now.astimezone(tz).date(),
            seq,
            (o.settings or {}).get("dossier_code_format", "{agency}-{yymmdd}-{seq:04d}"),
        )
        person = Applicant(
            office_id=o.id,
            full_name=full_name or "",
            id_number=id_number,
            id_type=id_type,
            phone=_text(applicant, "phone", limit=40),
            email=_text(applicant, "email", limit=255),
            address=_text(applicant, "address", limit=500),
        )
        db.session.add(person)
        db.session.flush()
        pin, pin_hash = new_pin()
        d = Dossier(
            office_id=o.id,
            code=code,
            public_token=secrets.token_urlsafe(18),
            lookup_pin_hash=pin_hash,
            procedure_id=proc.id,
            applicant_id=person.id,
            ticket_id=ticket.id if ticket else None,
            counter_id=ticket.counter_id if ticket else user.counter_id,
            staff_id=user.id,
            channel=channel,
            components=components or list(proc.components or []),
            sets_count=sets,
            received_at=now,
            due_at=due,
            original_due_at=due,
            status_code=int(DossierStatus.ACCEPTED),
            return_place=_text(body, "return_place")
            or f"Bộ phận tiếp nhận và trả kết quả – {o.name}",
            fee_method=_text(body, "fee_method") or "",
            resolving_office=_text(body, "resolving_office") or o.name,
            current_unit="Bộ phận tiếp nhận và trả kết quả",
            rules={
                k: setting(o, k) for k in ("due_mode", "timeliness_boundary", "supplement_clock")
            },
        )
        db.session.add(d)
        db.session.flush()
        _event(d, DossierAction.ACCEPT.value, None, user, to_unit=d.current_unit)
        _after_change(d, o, "dossier.accepted")
        result = {
            "code": d.code,
            "token": d.public_token,
            "url": dossier_url(d),
            "lookup_pin": pin,
            "received_at": iso(d.received_at, o),
            "due_at": iso(d.due_at, o),
            "status": STATUS_NAMES[DossierStatus.ACCEPTED],
            "status_label": STATUS_LABELS[DossierStatus.ACCEPTED].citizen,
        }
        printing = ctx().printing
        if printing is not None and body.get("print"):
            result["print"] = printing.enqueue_receipt(d, o, pin, counter_id=d.counter_id)
    return result


def _held_counter_id(user: StaffUser) -> int | None:
    """The counter the officer works at now (holds), else the one assigned to them."""
    from lobby.models import Counter

    held = db.session.scalar(
        select(Counter.id).where(Counter.staff_id == user.id).order_by(Counter.id).limit(1)
    )
    return held if held is not None else user.counter_id


def reissue_pin(code: Any, body: dict[str, Any], user: StaffUser) -> dict[str, Any]:
    """Cấp lại mã tra cứu: after the officer checked the citizen's identity document (the ID
    number typed and compared with the stored one, or a confirmation ticked), a new PIN; the
    old one stops working, the lookup lock is lifted, the control sheet gets a row, and the
    receipt is printed again (IN LẠI) on the officer's counter printer when asked."""
    typed = body.get("id_number")
    confirmed = body.get("identity_checked")
    if confirmed is not None and not isinstance(confirmed, bool):
        raise InvalidRequest("identity_checked phải là true hoặc false.", field="identity_checked")
    if typed is not None and not isinstance(typed, str):
        raise InvalidRequest("Trường id_number phải là chuỗi.", field="id_number")
    typed = (typed or "").strip()
    if not typed and not confirmed:
        raise InvalidRequest(
            "Cần kiểm tra giấy tờ tùy thân của người nộp: nhập số giấy tờ hoặc xác nhận đã kiểm tra.",
            field="id_number",
        )
    with transaction():
        o = office()
        d = dossier_by_code(code, lock=True)
        how = "identity_checked"
        if typed:
            stored = d.applicant.id_number
            if not stored:
                raise InvalidRequest(
                    "Hồ sơ không lưu số giấy tờ; hãy đối chiếu giấy tờ tùy thân và đánh dấu xác nhận.",
                    field="id_number",
                )
            kind = IdType(d.applicant.id_type or IdType.CCCD.value)
            try:
                given = normalize_id_number(kind, typed)
            except InvalidRequest:
                given = typed
            if not hmac.compare_digest(given.encode(), stored.encode()):
                raise InvalidRequest(
                    "Số giấy tờ không khớp với hồ sơ; chưa cấp lại mã tra cứu.", field="id_number"
                )
            how = "id_number"
        pin, d.lookup_pin_hash = new_pin()
        d.lookup_failures = 0
        d.lookup_locked_until = None
        _event(
            d,
            "reissue_pin",
            d.status_code,
            user,
            note_internal="Đối chiếu số giấy tờ"
            if how == "id_number"
            else "Cán bộ xác nhận đã kiểm tra giấy tờ tùy thân",
        )
        result: dict[str, Any] = {"pin": pin}
        printing = ctx().printing
        if printing is not None and body.get("print"):
            result["print"] = printing.enqueue_receipt(
                d, o, pin, counter_id=_held_counter_id(user), reprint=True
            )
    return result


def _event(
    d: Dossier,
    action: str,
    before: int | None,
    user: StaffUser | None,
    *,
    source: str = "counter",
    **fields: Any,
) -> None:
    db.session.add(
        DossierEvent(
            dossier_id=d.id,
            at=ctx().clock.now(),
            action=action,
            from_status=before,
            to_status=d.status_code,
            actor_staff_id=user.id if user else None,
            source=source,
            **fields,
        )
    )


def _after_change(d: Dossier, o: Office, event: str) -> None:
    """Tell the phone(s) following this dossier, and queue the outgoing webhook."""
    view = public_dossier_view(d, o)
    rooms = [events.dossier_room(d.public_token)]
    if d.ticket_id is not None:
        t = db.session.get(Ticket, d.ticket_id)
        if t is not None:
            rooms.append(events.ticket_room(t.public_token))
    publish_after_commit(events.DOSSIER_UPDATED, view, rooms)
    url = current_app.config.get("LOBBY_WEBHOOK_URL")
    if url:
        payload = {
            "event": event,
            "at": iso(ctx().clock.now(), o),
            "dossier": {
                k: view[k]
                for k in (
                    "code",
                    "status",
                    "status_code",
                    "received_at",
                    "due_at",
                    "timeliness",
                    "new_due_at",
                )
            },
        }
        db.session.add(
            WebhookDelivery(
                url=url,
                event=event,
                body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                next_try_at=ctx().clock.now(),
                created_at=ctx().clock.now(),
            )
        )
        from lobby.tx import current_tx

        tx = current_tx()
        if tx is not None:
            tx.after_commit(_wake_webhooks)


def _wake_webhooks() -> None:
    hook = current_app.extensions.get("lobby_webhooks")
    if hook is not None:
        hook.notify()


def _parse_when(value: Any, o: Office, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} phải là thời điểm ISO 8601.", field=field)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{field} không đúng định dạng ISO 8601.", field=field) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=office_tz(o))
    return when


def apply_event(
    code: Any, body: dict[str, Any], user: StaffUser | None, *, source: str = "counter"
) -> dict[str, Any]:
    """A hand-over or a status change, logged as a control-sheet row; illegal moves are 409."""
    action = parse_action(body.get("action"))
    if action is DossierAction.ACCEPT:
        raise InvalidRequest("Dùng POST /api/v1/dossiers để tiếp nhận hồ sơ.", field="action")
    note = _text(body, "note", limit=2000) or ""
    reason = _text(body, "reason", limit=2000) or ""
    with transaction():
        o = office()
        d = dossier_by_code(code, lock=True)
        before = _status(d)
        after = next_dossier_status(before, action)
        now = ctx().clock.now()
        tz = office_tz(o)
        cal = working_calendar(o)
        fields: dict[str, Any] = {"reason": reason, "note_internal": note}
        if action is DossierAction.HANDOVER:
            to_unit = _text(body, "to_unit", required=True)
            fields.update(from_unit=d.current_unit, to_unit=to_unit)
            d.current_unit = to_unit or ""
        elif action is DossierAction.REQUEST_SUPPLEMENT:
            if not reason:
                raise InvalidRequest(
                    "Phiếu yêu cầu bổ sung cần nêu lý do (reason).", field="reason"
                )
            items = parse_components(body.get("items")) if body.get("items") is not None else []
            fields["items"] = items
            d.supplement_requested_at = now
        elif action is DossierAction.SUPPLEMENT_RECEIVED:
            if d.rules.get("supplement_clock", "restart") == "pause" and d.supplement_requested_at:
                paused = working_hours_between(d.supplement_requested_at, now, cal, tz)
                d.due_at = add_working_hours(d.due_at, paused, cal, tz)
            else:  # restart: time runs again from the complete dossier
                proc = d.procedure
                d.due_at = due_at(
                    now,
                    proc.deadline_value,
                    DeadlineUnit(proc.deadline_unit),
                    cal,
                    tz,
                    mode=DueMode(d.rules.get("due_mode", "working_hours")),
                    same_day_cutoff=proc.same_day_cutoff or time(15, 0),
                )
            d.original_due_at = d.due_at
            d.supplement_requested_at = None
        elif action is DossierAction.APOLOGISE:
            if not reason:
                raise InvalidRequest(
                    "Phiếu xin lỗi cần nêu lý do chậm trễ (reason).", field="reason"
                )
            new_due = _parse_when(body.get("new_due_at"), o, "new_due_at")
            if new_due <= now:
                raise InvalidRequest(
                    "Ngày hẹn trả mới phải sau thời điểm hiện tại.", field="new_due_at"
                )
            d.new_due_at = new_due
            d.due_at = new_due
            d.apology = f"Cơ quan xin lỗi vì sự chậm trễ. {reason}"
            fields["new_due_at"] = new_due
        elif action is DossierAction.RESULT_READY:
            d.result_ready_at = now
            # Against the original due date: an apology's new date does not reset it.
            d.timeliness = timeliness(
                now,
                d.original_due_at,
                tz,
                cal,
                boundary=d.rules.get("timeliness_boundary", "due_day"),
            ).value
        elif action is DossierAction.RETURN:
            d.returned_at = now
        d.status_code = int(after)
        _event(d, action.value, int(before), user, source=source, **fields)
        db.session.flush()
        _after_change(d, o, f"dossier.{action.value}")
        return {"dossier": staff_dossier_view(d, o)}


class LookupNoMatch(NotFound):
    """The one answer for an unknown code and a wrong PIN: a lookup tells no code exists."""

    default_message = (
        "Mã hồ sơ hoặc mã tra cứu không đúng. Quý khách vui lòng kiểm tra lại trên giấy hẹn."
    )


class LookupLocked(DomainError):
    """Too many wrong PINs for this dossier: its lookup waits (details: retry_after seconds)."""

    code = "rate_limited"
    status = 429
    default_message = (
        "Mã tra cứu của hồ sơ này đã bị nhập sai nhiều lần. Để bảo vệ hồ sơ của Quý khách, "
        "việc tra cứu tạm dừng 15 phút. Quý khách vui lòng thử lại sau, hoặc mang giấy tờ tùy "
        "thân đến Bộ phận một cửa để được cấp lại mã tra cứu."
    )


# Checked against when the code does not exist, so that both answers take the same time.
_NO_DOSSIER_HASH = generate_password_hash(secrets.token_hex(8), method=PIN_HASH_METHOD)


def _dossier_for_lookup(code: str) -> Dossier | None:
    stmt = select(Dossier).where(Dossier.code == code).with_for_update(of=Dossier)
    d = db.session.scalar(stmt)
    if d is None:  # codes are stored as made; an office's format might hold small letters
        d = db.session.scalar(
            select(Dossier).where(func.upper(Dossier.code) == code).with_for_update(of=Dossier)
        )
    return d


def public_lookup(code: Any, pin: Any) -> dict[str, Any]:
    """Lookup by dossier code and the PIN printed on the receipt. One answer for an unknown
    code and a wrong PIN; wrong PINs are counted per dossier and lock its lookup for a while
    (the per-address rate limit is the web layer's)."""
    if not isinstance(pin, str) or not "".join(pin.split()):
        raise InvalidRequest("Vui lòng nhập mã tra cứu (in trên giấy hẹn).", field="pin")
    if not isinstance(code, str) or not normalize_dossier_code(code):
        raise InvalidRequest("Vui lòng nhập mã hồ sơ (in trên giấy hẹn).", field="code")
    code, pin = normalize_dossier_code(code), "".join(pin.split())
    if len(code) > 80 or len(pin) > 40:
        raise LookupNoMatch()
    view: dict[str, Any] | None = None
    locked_until: datetime | None = None
    with transaction():
        d = _dossier_for_lookup(code)
        now = ctx().clock.now()
        if d is None:
            check_password_hash(_NO_DOSSIER_HASH, pin)
        elif d.lookup_locked_until is not None and d.lookup_locked_until > now:
            locked_until = d.lookup_locked_until
        elif check_password_hash(d.lookup_pin_hash, pin):
            if d.lookup_failures or d.lookup_locked_until is not None:
                d.lookup_failures, d.lookup_locked_until = 0, None
            view = public_dossier_view(d)
        else:  # the row is locked (FOR UPDATE / SQLite's write lock): no count is lost
            d.lookup_failures = (d.lookup_failures or 0) + 1
            if d.lookup_failures >= LOOKUP_MAX_FAILURES:
                d.lookup_failures, d.lookup_locked_until = 0, now + LOOKUP_LOCK
                locked_until = d.lookup_locked_until
    # Raised after the commit: the wrong PIN stays counted.
    if locked_until is not None:
        seconds = max(1, int((locked_until - ctx().clock.now()).total_seconds()))
        raise LookupLocked(retry_after=seconds)
    if view is None:
        raise LookupNoMatch()
    return view


def due_lists(user: StaffUser) -> dict[str, Any]:
    """The officer's dossiers due soon (within a working day) and late, oldest first."""
    o = office()
    now = ctx().clock.now()
    cal = working_calendar(o)
    tz = office_tz(o)
    horizon = add_working_hours(now, float(setting(o, "due_soon_working_hours")), cal, tz)
    open_codes = [
        int(s)
        for s in (
            DossierStatus.ACCEPTED,
            DossierStatus.PROCESSING,
            DossierStatus.SUPPLEMENT_REQUESTED,
            DossierStatus.AWAITING_PAYMENT,
        )
    ]
    base = select(Dossier).where(Dossier.office_id == o.id, Dossier.status_code.in_(open_codes))
    late = db.session.scalars(
        base.where(Dossier.due_at < now).order_by(Dossier.due_at).limit(200)
    ).all()
    soon = db.session.scalars(
        base.where(Dossier.due_at >= now, Dossier.due_at <= horizon)
        .order_by(Dossier.due_at)
        .limit(200)
    ).all()
    ready = db.session.scalars(
        select(Dossier)
        .where(Dossier.office_id == o.id, Dossier.status_code == int(DossierStatus.RESULT_READY))
        .order_by(Dossier.result_ready_at)
        .limit(200)
    ).all()

    def row(d: Dossier) -> dict[str, Any]:
        return {
            "code": d.code,
            "procedure": d.procedure.name_vi,
            "applicant": mask_name(d.applicant.full_name),
            "due_at": iso(d.due_at, o),
            "status": STATUS_NAMES[_status(d)],
            "status_label": STATUS_LABELS[_status(d)].short,
        }

    return {
        "late": [row(d) for d in late],
        "due_soon": [row(d) for d in soon],
        "ready": [row(d) for d in ready],
    }


# --- ratings --------------------------------------------------------------------------------


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


def rate_ticket(token: str, body: dict[str, Any], channel: str = "qr_phone") -> dict[str, Any]:
    """One rating per ticket, after service; linked to counter, officer and field, never to PII."""
    from lobby.services import ticket_by_token

    allowed = rating_scale(office())
    raw = body.get("level")
    if raw not in allowed:
        # Only the office's own scale: a 3-level office never stores "Bình thường".
        raise InvalidRequest("Mức độ hài lòng không hợp lệ.", field="level", allowed=allowed)
    level = RatingLevel(raw)
    comment = _text(body, "comment", limit=1000) or ""
    with transaction():
        o = office()
        t = ticket_by_token(token)
        if t is None:
            raise NotFound("Không tìm thấy phiếu.")
        if t.status not in ("serving", "done"):
            raise IllegalTransition("Quý khách có thể đánh giá sau khi được phục vụ.")
        if db.session.scalar(select(Rating.id).where(Rating.ticket_id == t.id)) is not None:
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
    from lobby.services import counter_by_number, today

    o = office()
    c = counter_by_number(o, counter_number)
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.counter_id == c.id,
            Ticket.service_day == today(o),
            Ticket.status.in_(["serving", "done"]),
        )
        .order_by(func.coalesce(Ticket.finished_at, Ticket.serving_started_at).desc())
        .limit(1)
    )


def tablet_state(counter_number: int) -> dict[str, Any]:
    """The counter, its officer (name and title: shown by the rating rule), the ticket to rate."""
    from lobby.services import counter_by_number, counter_ref

    o = office()
    c = counter_by_number(o, counter_number)
    officer = db.session.get(StaffUser, c.staff_id) if c.staff_id else None
    t = last_finished_ticket_at_counter(counter_number)
    rated = (
        t is not None
        and db.session.scalar(select(Rating.id).where(Rating.ticket_id == t.id)) is not None
    )
    return {
        "counter": counter_ref(c),
        "officer": {"name": officer.full_name, "title": officer.title} if officer else None,
        "ticket": None if t is None or rated else {"number": t.number, "status": t.status},
        "levels": int(setting(o, "rating_levels")),
        "scale": rating_scale(o),
    }


def rate_at_counter(counter_number: int, body: dict[str, Any]) -> dict[str, Any]:
    """The tablet rates the ticket last served at its counter (the number it showed, if given)."""
    t = last_finished_ticket_at_counter(counter_number)
    if t is None:
        raise IllegalTransition("Chưa có lượt phục vụ nào để đánh giá tại quầy này.")
    number = body.get("number")
    if number is not None and number != t.number:
        raise IllegalTransition("Lượt phục vụ đã thay đổi, vui lòng đánh giá lại.")
    return rate_ticket(t.public_token, body, channel="counter_tablet")
