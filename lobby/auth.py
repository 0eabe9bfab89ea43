"""Who is asking: staff (session or API token), a device (token or pairing cookie), or the public."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, session
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import DomainError, Forbidden
from lobby.context import ctx
from lobby.extensions import db
from lobby.models import ApiToken, Device, LoginThrottle, StaffUser
from lobby.offloop import run_off_loop
from lobby.security import csrf_valid
from lobby.tx import insert_for, transaction

DEVICE_COOKIE = "lobby_device"
DEVICE_TOKEN_PREFIX = "dv_"
USER_TOKEN_PREFIX = "st_"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


def new_token(prefix: str = "") -> str:
    """A URL-safe token with 192 bits of randomness (the rule asks for at least 128)."""
    return prefix + secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    # Tokens carry 192 random bits, so a fast hash is enough; only the hash is stored.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    # scrypt by default; tests choose a cheaper method through LOBBY_PASSWORD_METHOD.
    return generate_password_hash(
        password, method=current_app.config.get("LOBBY_PASSWORD_METHOD", "scrypt")
    )


def password_matches(user: StaffUser, password: str) -> bool:
    return _checked(user.password_hash, password)


def _checked(password_hash: str, password: str) -> bool:
    """A password check (scrypt: tens of ms of CPU) in a thread of gevent's pool, so leaders and
    officers signing in at once never stall the kiosk and the board. Only outside a write
    transaction: on SQLite another writer would wait on the busy timeout holding the loop."""
    return run_off_loop(check_password_hash, password_hash, password)


def password_stamp(password_hash: str) -> str:
    """Kept in a staff session: a new password (a reset after a leak) ends the old sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


# --- signing in and out ----------------------------------------------------------------------

LOGIN_FAILURES_BEFORE_LOCK = 10
LOGIN_LOCK = timedelta(minutes=15)
# A session's last-seen time is written back at most this often, so a busy counter does not
# get a new cookie on every call; a session idle for LOBBY_SESSION_IDLE_SECONDS by the office's
# clock ends (and its cookie expires PERMANENT_SESSION_LIFETIME after it was last written).
SEEN_REFRESH = 15 * 60
_DUMMY_HASHES: dict[str, str] = {}


class AccountLocked(Exception):
    """Too many wrong passwords for this username: refused for LOGIN_LOCK."""


def _now() -> datetime:
    return _ctx().clock.now()  # type: ignore[no-any-return]


def _password_or_dummy(user: StaffUser | None, password: str) -> bool:
    """Check the password against the account's hash, or against a dummy hash made the same
    way when there is no such (active) account: both answers take the same time."""
    if user is not None and user.active:
        return password_matches(user, password)
    method = current_app.config.get("LOBBY_PASSWORD_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    _checked(_DUMMY_HASHES[method], password)
    return False


def _count_failure(username: str) -> None:
    """One more wrong password for `username` (known or not): the tenth locks it."""
    table = LoginThrottle.__table__
    with transaction():
        insert = insert_for(db.engine.dialect.name)(table).values(username=username, failures=1)
        failures = db.session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.username], set_={"failures": table.c.failures + 1}
            ).returning(table.c.failures)
        ).scalar_one()
        if failures >= LOGIN_FAILURES_BEFORE_LOCK:
            db.session.execute(
                update(table)
                .where(table.c.username == username)
                .values(failures=0, locked_until=_now() + LOGIN_LOCK)
            )


def authenticate(username: str, password: str) -> StaffUser | None:
    """The active account with this username and password, else None (in the same time
    whether the username exists or not). Raise AccountLocked after too many failures."""
    usable = 0 < len(username) <= 80 and "\x00" not in username
    throttle = db.session.get(LoginThrottle, username) if usable else None
    if throttle is not None and throttle.locked_until and throttle.locked_until > _now():
        raise AccountLocked(username)
    user = (
        db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if usable
        else None
    )
    if _password_or_dummy(user, password):
        if throttle is not None:  # earlier wrong passwords are forgiven
            with transaction():
                db.session.execute(
                    delete(LoginThrottle.__table__).where(
                        LoginThrottle.__table__.c.username == username
                    )
                )
        return user
    if usable:
        _count_failure(username)
    return None


def start_session(user: StaffUser) -> None:
    """Sign `user` in on this browser: a fresh session (the page's CSRF token kept)."""
    csrf_raw = session.get("csrf_token")
    session.clear()
    if csrf_raw:  # keep the page's CSRF token valid across sign-in
        session["csrf_token"] = csrf_raw
    session["user_id"] = user.id
    session["pw"] = password_stamp(user.password_hash)
    session["ep"] = user.session_epoch or 0
    session["seen"] = int(_now().timestamp())
    session.permanent = True


def end_session() -> None:
    """Sign out: the account's session epoch moves on, so this cookie (and any copy of it, and
    the account's sessions on other browsers) no longer signs anyone in."""
    principal = principal_from_session()
    if principal is not None:
        with transaction():
            db.session.execute(
                update(_USERS)
                .where(_USERS.c.id == principal.user.id)
                .values(session_epoch=_USERS.c.session_epoch + 1)
            )
        _reference().clear()
    session.clear()


@dataclass(frozen=True)
class Principal:
    """The caller of a request or a socket connection. `user` and `device` are read-only rows
    (their columns as attributes), except an API token's user; change them through a query."""

    user: Any = None
    device: Any = None
    via: str | None = None  # session | bearer | cookie

    @property
    def scope(self) -> str:
        if self.user is not None:
            return f"user:{self.user.id}"
        if self.device is not None:
            return f"device:{self.device.id}"
        return f"addr:{request.remote_addr}"


ANONYMOUS = Principal()


_DEVICES = Device.__table__
_USERS = StaffUser.__table__
_DEVICE_BY_HASH = select(_DEVICES).where(_DEVICES.c.token_hash == bindparam("digest"))
_USER_BY_ID = select(_USERS).where(_USERS.c.id == bindparam("id"))


def _ctx() -> Any:
    return ctx()


def _reference() -> Any:
    return _ctx().reference


# Every kiosk ticket and every counter action starts by finding who asks. Devices and staff are
# read as rows through the reference cache (lobby.refcache): a revocation or a role change made
# here applies to the next request, one made by another process within LOBBY_REFERENCE_TTL.
def _device_row(digest: str) -> Any:
    return _reference().get(
        ("device", digest), lambda: db.session.execute(_DEVICE_BY_HASH, {"digest": digest}).first()
    )


def _user_row(user_id: int) -> Any:
    return _reference().get(
        ("user", user_id), lambda: db.session.execute(_USER_BY_ID, {"id": user_id}).first()
    )


def principal_from_token(token: str | None) -> Principal | None:
    """A device or a staff API token, by its hash; None for an unknown token."""
    if not token:
        return None
    digest = token_hash(token)
    if token.startswith(USER_TOKEN_PREFIX):
        api = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if api is not None and api.user.active:
            return Principal(user=api.user, via="bearer")
        return None
    device = _device_row(digest)
    if device is not None and device.active:
        return Principal(device=device, via="bearer")
    return None


def principal_from_session() -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = _user_row(user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        return None
    if session.get("pw") != password_stamp(user.password_hash):
        return None  # signed in with a password that has been changed since
    if session.get("ep", 0) != (user.session_epoch or 0):
        return None  # signed out since: this is a copy of an ended session
    seen, now = session.get("seen"), int(_now().timestamp())
    if not isinstance(seen, int) or now - seen > current_app.config["LOBBY_SESSION_IDLE_SECONDS"]:
        return None  # idle for longer than a working day
    if now - seen >= SEEN_REFRESH:
        session["seen"] = now
    return Principal(user=user, via="session")


def current_principal() -> Principal:
    """Resolve the caller once per request: bearer header, then staff session, then device cookie."""
    if "principal" in g:
        return g.principal  # type: ignore[no-any-return]
    principal: Principal | None = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        principal = principal_from_token(header[7:].strip())
        if principal is None:
            raise Unauthorized("Mã truy cập không hợp lệ hoặc đã bị thu hồi.")
    if principal is None:
        principal = principal_from_session()
    if principal is None:
        cookie = principal_from_token(request.cookies.get(DEVICE_COOKIE))
        if cookie is not None:
            principal = Principal(device=cookie.device, via="cookie")
    g.principal = principal or ANONYMOUS
    return g.principal  # type: ignore[no-any-return]


def current_device() -> Principal | None:
    """The paired device asking (bearer token or pairing cookie), even when a staff member is
    also signed in on the same browser: device pages and device routes act as the device."""
    if "device_principal" in g:
        return g.device_principal  # type: ignore[no-any-return]
    principal = current_principal()
    found: Principal | None = principal if principal.device is not None else None
    if found is None and principal.via != "bearer":
        cookie = principal_from_token(request.cookies.get(DEVICE_COOKIE))
        if cookie is not None and cookie.device is not None:
            found = Principal(device=cookie.device, via="cookie")
    g.device_principal = found
    return found


def _check_csrf(principal: Principal) -> None:
    """Cookie-authenticated writes must carry the page's CSRF token; bearer calls need none."""
    if request.method not in MUTATING or principal.via not in {"session", "cookie"}:
        return
    token = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not csrf_valid(token):
        raise CSRFError("Phiên làm việc đã hết hạn, vui lòng tải lại trang.")


def require_staff(*roles: str) -> Callable[[F], F]:
    """Only signed-in staff (with one of `roles`, if given) may call the view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if (
                principal.user is None
                and principal.device is not None
                and principal.via == "bearer"
            ):
                # A valid token, but a device's (a kiosk's): known, and not allowed.
                raise Forbidden("Thiết bị không được thực hiện thao tác của cán bộ.")
            if principal.user is None:
                raise Unauthorized("Vui lòng đăng nhập.")
            if roles and principal.user.role not in roles:
                raise Forbidden("Tài khoản không có quyền thực hiện thao tác này.")
            _check_csrf(principal)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def require_device(*kinds: str) -> Callable[[F], F]:
    """Only a paired device of one of `kinds` may call the view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_device()
            if principal is None or principal.device is None:
                raise Unauthorized("Thiết bị chưa được ghép nối.")
            if kinds and principal.device.kind not in kinds:
                raise Forbidden("Thiết bị này không được phép thực hiện thao tác này.")
            _check_csrf(principal)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
