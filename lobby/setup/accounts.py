"""Staff accounts and devices: made, changed and withdrawn from the command line or /admin.

One place for both, so that the rules are the same: usernames are unique, an officer's counter
belongs to the office, nobody locks themselves out, the last administrator stays, device tokens
and generated passwords are shown once and stored only hashed. Every change is one transaction
through the ORM: the reference cache (lobby/refcache.py) forgets the old account at once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.access import SUPERVISORS, CounterState, DeviceKind, Role
from core.errors import Forbidden, IllegalTransition, InvalidRequest, NotFound
from lobby.audit import log as audit_log
from lobby.auth import DEVICE_TOKEN_PREFIX, hash_password, new_token, token_hash
from lobby.context import ctx, of_this_office, office, public_url
from lobby.extensions import db
from lobby.forms import form_text
from lobby.models import ApiToken, Counter, Device, StaffUser
from lobby.tx import transaction
from printers.backends import PrinterNotAllowed, validate_printer_url, validate_web_printer_url

ADMIN, LEADER, OFFICER = Role.ADMIN, Role.LEADER, Role.OFFICER
ROLES: tuple[Role, ...] = tuple(Role)
DEVICE_KINDS: tuple[DeviceKind, ...] = tuple(DeviceKind)
# Shown on /admin/staff, translated there.
ROLE_LABELS = {ADMIN: "Quản trị", LEADER: "Lãnh đạo", OFFICER: "Cán bộ"}
DEVICE_KIND_LABELS = {
    DeviceKind.KIOSK: "Máy lấy số",
    DeviceKind.BOARD: "Màn hình gọi số",
    DeviceKind.TABLET: "Máy đánh giá",
}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")


def sets_up_the_office(user: StaffUser) -> bool:
    """Setting up the office, its staff and devices is the administrator's."""
    return user.role == ADMIN


def sees_the_report(user: StaffUser) -> bool:
    """Administrators and leaders have the report in their menu."""
    return user.role in SUPERVISORS


def keeps_the_calendar(user: StaffUser) -> bool:
    """Administrators and leaders add and remove the office's own days."""
    return user.role in SUPERVISORS


def staff_user(user_id: int | None) -> StaffUser | None:
    """An account by id (the officer named on a printed form); None for none."""
    return db.session.get(StaffUser, user_id) if user_id else None


def pairing_url(token: str) -> str:
    """The link a device opens once to keep its token (/pair/<token>)."""
    return public_url(f"pair/{token}")


def _counter_id(number: Any) -> int | None:
    """The id of counter `number` of this office; None for no counter (empty)."""
    if number is None or str(number).strip() == "":
        return None
    try:
        n = int(str(number).strip())
    except ValueError:
        raise InvalidRequest("Số quầy phải là một số nguyên.", field="counter") from None
    found = (
        db.session.execute(
            select(Counter.id, Counter.active).where(
                Counter.office_id == office().id, Counter.number == n
            )
        ).first()
        if 0 < n < 2**31
        else None
    )
    if found is None:
        raise NotFound(f"Không có quầy số {n}.", field="counter")
    if not found.active:
        raise IllegalTransition(f"Quầy số {n} đang thôi dùng.", field="counter")
    return int(found.id)


def _role(value: Any) -> str:
    if value not in ROLES:
        raise InvalidRequest("Vai trò không hợp lệ.", field="role", allowed=list(ROLES))
    return str(value)


# --- staff -----------------------------------------------------------------------------------


def create_user(
    username: Any,
    role: Any,
    *,
    counter: Any = None,
    full_name: Any = "",
    title: Any = "",
    password: str | None = None,
) -> tuple[StaffUser, str | None]:
    """A new staff account; with no password given, a generated one, returned to show once."""
    name = username.strip().lower() if isinstance(username, str) else ""
    if not USERNAME.fullmatch(name):
        raise InvalidRequest(
            "Tên đăng nhập gồm 2 đến 80 chữ thường không dấu, chữ số, dấu chấm, gạch ngang "
            "hoặc gạch dưới.",
            field="username",
        )
    role = _role(role)
    generated = password is None
    password = password or secrets.token_urlsafe(9)
    with transaction():
        if db.session.scalar(select(StaffUser.id).where(StaffUser.username == name)):
            raise IllegalTransition(f"Tên đăng nhập {name} đã có.", field="username")
        user = StaffUser(
            office_id=office().id,
            username=name,
            full_name=form_text(full_name, "họ tên", "full_name", required=False) or name,
            title=form_text(title, "chức danh", "title", required=False, limit=120),
            password_hash=hash_password(password),
            role=role,
            counter_id=_counter_id(counter),
        )
        db.session.add(user)
        db.session.flush()
        return user, password if generated else None


def _other_active_admins(user: StaffUser) -> int:
    """Every active administrator's row locked in one order (PostgreSQL): two administrators
    demoting each other at once queue here, and the second sees the first's change."""
    admins = db.session.scalars(
        select(StaffUser.id)
        .where(StaffUser.office_id == user.office_id, StaffUser.role == ADMIN, StaffUser.active)
        .order_by(StaffUser.id)
        .with_for_update()
    ).all()
    return sum(1 for admin_id in admins if admin_id != user.id)


def update_user(user_id: Any, form: Any, *, by: StaffUser) -> StaffUser:
    """Name, title, role, counter, active. Nobody deactivates or demotes themselves, and the
    office always keeps one active administrator."""
    role = _role(form.get("role"))
    active = bool(form.get("active"))
    with transaction():
        user = of_this_office(StaffUser, user_id, "Không có tài khoản này.")
        if user.id == by.id and (not active or role != user.role):
            raise Forbidden("Không thể tự khóa hoặc tự đổi vai trò của tài khoản đang dùng.")
        if (
            user.role == ADMIN
            and user.active
            and (role != ADMIN or not active)
            and _other_active_admins(user) == 0
        ):
            raise IllegalTransition("Đơn vị phải còn ít nhất một quản trị viên đang hoạt động.")
        user.full_name = (
            form_text(form.get("full_name"), "họ tên", "full_name", required=False) or user.username
        )
        user.title = form_text(form.get("title"), "chức danh", "title", required=False, limit=120)
        if user.active and not active:
            _close_counters_held_by(user)
        user.role, user.active = role, active
        user.counter_id = _counter_id(form.get("counter"))
        return user


def _close_counters_held_by(user: StaffUser) -> None:
    """An officer out of use leaves their counters closed: the board and the wait estimates
    stop counting them. A ticket still at such a counter stays there, to be finished."""
    for c in db.session.scalars(select(Counter).where(Counter.staff_id == user.id)):
        audit_log.end_pause(c.id)
        c.state, c.staff_id = CounterState.CLOSED, None


def reset_password(user_id: Any) -> tuple[StaffUser, str]:
    """A new generated password, returned to show once; the old one stops working."""
    password = secrets.token_urlsafe(9)
    with transaction():
        user = of_this_office(StaffUser, user_id, "Không có tài khoản này.")
        user.password_hash = hash_password(password)  # ends the sessions signed in with the old
        for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            db.session.delete(token)  # and the API tokens made for the account
        return user, password


# --- devices ---------------------------------------------------------------------------------


def create_device(
    kind: Any,
    name: Any,
    *,
    printer: str | None = None,
    counter: Any = None,
    from_web: bool = False,
) -> tuple[Device, str]:
    """A kiosk, board or tablet and its token (shown once, stored hashed). `from_web`: the
    printer URL comes from the web admin, which may not name any file (printers.backends)."""
    if kind not in DEVICE_KINDS:
        raise InvalidRequest(
            "Loại thiết bị không hợp lệ.", field="kind", allowed=list(DEVICE_KINDS)
        )
    label = form_text(name, "tên thiết bị", "name", required=False, limit=120)
    if not label:
        raise InvalidRequest("Cần nhập tên thiết bị.", field="name")  # translated, unlike f-strings
    printer = (printer or "").strip() or None
    if printer:
        try:
            if from_web:
                printer = validate_web_printer_url(printer, current_app.instance_path)
            else:
                printer = validate_printer_url(printer)
        except PrinterNotAllowed:
            raise InvalidRequest(
                "Từ trang quản trị chỉ đặt được máy in mạng (network://), USB (usb://), cổng"
                " nối tiếp (serial:///dev/tty…), CUPS (cups://) hoặc máy in qua phần mềm in trên"
                " máy kiosk (agent://); file:// chỉ ghi vào thư mục instance của hệ thống."
                " Loại khác đặt bằng dòng lệnh (flask devices create --printer).",
                field="printer",
            ) from None
        except ValueError as exc:
            raise InvalidRequest(str(exc), field="printer") from None
    token = new_token(DEVICE_TOKEN_PREFIX)
    with transaction():
        settings: dict[str, Any] = {}
        if counter is not None and str(counter).strip():
            _counter_id(counter)
            settings["counter"] = int(str(counter).strip())
        device = Device(
            office_id=office().id,
            kind=kind,
            name=label,
            token_hash=token_hash(token),
            printer_url=printer,
            settings=settings,
            created_at=ctx().clock.now(),
        )
        db.session.add(device)
        db.session.flush()
        return device, token


def withdraw_device(device_id: Any) -> Device:
    """A lost or replaced device: its token is refused from the next request. It comes back
    only paired again, with a new token (new_device_token): the lost one stays useless."""
    with transaction():
        device = of_this_office(Device, device_id, "Không có thiết bị này.")
        device.active = False
        return device


def new_device_token(device_id: Any) -> tuple[Device, str]:
    """Pair a device again (a new screen, a cleared browser): the old token stops working, and
    the new pairing link works once more."""
    token = new_token(DEVICE_TOKEN_PREFIX)
    with transaction():
        device = of_this_office(Device, device_id, "Không có thiết bị này.")
        device.token_hash, device.active = token_hash(token), True
        device.settings = {k: v for k, v in (device.settings or {}).items() if k != PAIRED_AT}
        return device, token


PAIRED_AT = "paired_at"  # in Device.settings: when its pairing link was opened


def claim_pairing(device_id: int) -> bool:
    """The pairing link pairs one browser: True the first time it is opened (the moment is kept),
    False afterwards. A second device needs a new link ("Ghép nối lại", new_device_token)."""
    with transaction():
        device = db.session.get(Device, device_id, with_for_update=True)
        if device is None or (device.settings or {}).get(PAIRED_AT):
            return False
        now = ctx().clock.now().isoformat()
        device.settings = {**(device.settings or {}), PAIRED_AT: now}
        return True


def staff_and_devices() -> dict[str, Any]:
    o = office()
    users = list(
        db.session.scalars(
            select(StaffUser).where(StaffUser.office_id == o.id).order_by(StaffUser.username)
        )
    )
    devices = list(
        db.session.scalars(select(Device).where(Device.office_id == o.id).order_by(Device.id))
    )
    counters = {
        c.id: c.number for c in db.session.scalars(select(Counter).where(Counter.office_id == o.id))
    }
    return {"users": users, "devices": devices, "counter_numbers": counters}
