"""The citizen's lookup PIN: how it is made (only its hash is kept, DOMAIN §4), the public
lookup by dossier code and PIN with its per-dossier lock after too many wrong PINs, and the
officer's reissue after checking the applicant's identity document.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.dossiers import IdType, normalize_dossier_code, normalize_id_number
from core.errors import DomainError, InvalidRequest, NotFound
from lobby.context import ctx, office
from lobby.dossiers.changes import record_event
from lobby.dossiers.lookup import dossier_by_code
from lobby.dossiers.views import public_dossier_view
from lobby.extensions import db
from lobby.models import Counter, Dossier, StaffUser
from lobby.tx import transaction

# Guessing a 6-digit lookup PIN: after this many wrong PINs in a row the dossier's public lookup
# is locked for LOOKUP_LOCK (counted in the database: every server process sees the same count).
LOOKUP_MAX_FAILURES = 5
LOOKUP_LOCK = timedelta(minutes=15)
# The rate-limit bucket the lookup page (/tra-cuu) and the API lookup share (per address).
LOOKUP_SCOPE = "dossier-lookup"
PIN_HASH_METHOD = "pbkdf2:sha256:60000"


def new_pin() -> tuple[str, str]:
    """A fresh 6-digit lookup PIN and its hash; only the hash is kept (DOMAIN §4)."""
    pin = f"{secrets.randbelow(10**6):06d}"
    return pin, generate_password_hash(pin, method=PIN_HASH_METHOD)


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


# --- the officer reissues it ----------------------------------------------------------------


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
        if typed:
            _check_id_number(d, typed)
        pin, d.lookup_pin_hash = new_pin()
        d.lookup_failures = 0
        d.lookup_locked_until = None
        record_event(
            d,
            "reissue_pin",
            d.status_code,
            user,
            note_internal="Đối chiếu số giấy tờ"
            if typed
            else "Cán bộ xác nhận đã kiểm tra giấy tờ tùy thân",
        )
        result: dict[str, Any] = {"pin": pin}
        printing = ctx().printing
        if printing is not None and body.get("print"):
            result["print"] = printing.enqueue_receipt(
                d, o, pin, counter_id=_held_counter_id(user), reprint=True
            )
    return result


def _check_id_number(d: Dossier, typed: str) -> None:
    """The ID number the officer typed is the applicant's (compared in constant time)."""
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


def _held_counter_id(user: StaffUser) -> int | None:
    """The counter the officer works at now (holds), else the one assigned to them."""
    held = db.session.scalar(
        select(Counter.id).where(Counter.staff_id == user.id).order_by(Counter.id).limit(1)
    )
    return held if held is not None else user.counter_id
