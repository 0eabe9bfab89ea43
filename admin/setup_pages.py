"""The administrator's pages (the office, its procedures, staff and devices) and the working
calendar."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import MAXYEAR, MINYEAR
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin.blueprint import admin, bp, first_time, qr, user
from core.errors import DomainError
from lobby import context, workcal
from lobby.audit import log as audit_log
from lobby.bookings import slots
from lobby.context import today
from lobby.setup import accounts, catalogue, counters, office


def _audited(by: Any, action: str, form: Any) -> None:
    """A change made: a line of the audit trail (the form's action and what it names; never a
    password or a token)."""
    named = next(
        (
            form.get(k)
            for k in ("username", "code", "number", "name", "day", "remove", "id")
            if form.get(k)
        ),
        "",
    )
    audit_log.setting_changed(by.id, action, named)


# /admin/setup: each form's action, the section of the page it belongs to, and what it does
# (the message to show once done).
_SETUP_ACTIONS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "office": (
        "office",
        lambda form: office.update_office(form) or _("Đã lưu thông tin đơn vị."),
    ),
    "hours": (
        "hours",
        lambda form: office.update_hours(form, "ticketing") or _("Đã lưu giờ phát số."),
    ),
    "reception_hours": (
        "hours",
        lambda form: office.update_hours(form, "reception") or _("Đã lưu giờ tiếp nhận hồ sơ."),
    ),
    "rules": (
        "rules",
        lambda form: office.update_dossier_rules(form) or _("Đã lưu quy tắc hồ sơ."),
    ),
    "announcement": (
        "announcement",
        lambda form: (
            _("Đã lưu thông báo trên màn hình.")
            if office.update_announcement(form)
            else _("Đã gỡ thông báo trên màn hình.")
        ),
    ),
    "bookings": (
        "bookings",
        lambda form: slots.update_settings(form) or _("Đã lưu cài đặt lấy số từ xa."),
    ),
    "field_add": (
        "fields",
        lambda form: _("Đã thêm lĩnh vực %(name)s.", name=catalogue.add_field(form).name_vi),
    ),
    "field_save": (
        "fields",
        lambda form: _(
            "Đã lưu lĩnh vực %(name)s.", name=catalogue.update_field(form.get("id"), form).name_vi
        ),
    ),
    "counter_add": (
        "counters",
        lambda form: _(
            "Đã thêm quầy %(number)s.",
            number=counters.add_counter(form, form.getlist("fields")).number,
        ),
    ),
    "counter_save": (
        "counters",
        lambda form: _(
            "Đã lưu quầy %(number)s.",
            number=counters.update_counter(form.get("id"), form, form.getlist("fields")).number,
        ),
    ),
}


@bp.route("/admin/setup", methods=["GET", "POST"])
def setup() -> Any:
    """The administrator sets up the office: its details, fields (lĩnh vực) and counters."""
    by = admin()
    if request.method == "POST":
        form = request.form
        section, act = _SETUP_ACTIONS.get(form.get("action", ""), ("counters", None))
        try:
            if act is None:
                flash(_("Thao tác không hợp lệ."), "error")
            else:
                flash(act(form), "ok")
                _audited(by, form.get("action", ""), form)
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.setup", s=section) + "#" + section)
    return render_template(
        "admin/setup.html",
        user=by,
        focus=request.args.get("s"),
        bookings=slots.settings_view(),
        **office.setup_view(),
    )


# --- staff and devices -----------------------------------------------------------------------

_SECRET_ACTIONS = ("user_add", "user_reset", "device_add", "device_pair")
_STAFF_ACTIONS = (*_SECRET_ACTIONS, "user_save", "device_off")


def _device_secret(action: str, form: Any) -> dict[str, Any]:
    """A new device, or a device paired again: its pairing link, shown once with its QR."""
    if action == "device_add":
        device, token = accounts.create_device(
            form.get("kind"),
            form.get("name"),
            printer=form.get("printer"),
            counter=form.get("counter"),
            from_web=True,
        )
    else:
        device, token = accounts.new_device_token(form.get("id"))
    url = accounts.pairing_url(token)
    return {"device": device, "url": url, "qr": qr(url)}


def _staff_action(action: str, form: Any, by: Any) -> dict[str, Any] | None:
    """Do what the form asks; the secret to show once (a password, a pairing link), if any."""
    if action == "user_add":
        made, password = accounts.create_user(
            form.get("username"),
            form.get("role"),
            counter=form.get("counter"),
            full_name=form.get("full_name"),
            title=form.get("title"),
        )
        return {"user": made, "password": password}
    if action == "user_reset":
        made, password = accounts.reset_password(form.get("id"))
        return {"user": made, "password": password}
    if action in ("device_add", "device_pair"):
        return _device_secret(action, form)
    if action == "user_save":
        saved = accounts.update_user(form.get("id"), form, by=by)
        flash(_("Đã lưu tài khoản %(name)s.", name=saved.username), "ok")
    elif action == "device_off":
        device = accounts.withdraw_device(form.get("id"))
        flash(_("Đã thu hồi %(name)s.", name=device.name), "ok")
    else:
        flash(_("Thao tác không hợp lệ."), "error")
    return None


@bp.route("/admin/staff", methods=["GET", "POST"])
def staff() -> Any:
    """Staff accounts and devices. A generated password or a pairing link is shown once, on
    the page that made it (never kept in a flash cookie)."""
    by = admin()
    secret: dict[str, Any] | None = None
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        section = "devices" if action.startswith("device") else "users"
        if action in _SECRET_ACTIONS and not first_time(form.get("once")):
            # The browser sent the page again (reload): the password or link was shown once.
            flash(_("Việc này đã làm rồi; mật khẩu, liên kết chỉ hiện một lần."), "error")
            return redirect(url_for("admin.staff", s=section) + "#" + section)
        try:
            secret = _staff_action(action, form, by)
            if action in _STAFF_ACTIONS:
                _audited(by, action, form)
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
            secret = None
        if secret is None:
            return redirect(url_for("admin.staff", s=section) + "#" + section)
    page = render_template(
        "admin/staff.html",
        user=by,
        focus=request.args.get("s"),
        secret=secret,
        once=secrets.token_urlsafe(12),
        roles={role: _(label) for role, label in accounts.ROLE_LABELS.items()},
        default_role=accounts.OFFICER,
        kinds={kind: _(label) for kind, label in accounts.DEVICE_KIND_LABELS.items()},
        **accounts.staff_and_devices(),
    )
    response = make_response(page)
    if secret is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


# --- procedures ------------------------------------------------------------------------------

MAX_UPLOAD = 2_000_000


def _import_upload() -> None:
    upload = request.files.get("file")
    raw = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not raw:
        flash(_("Chọn tệp CSV danh sách thủ tục."), "error")
    elif len(raw) > MAX_UPLOAD:
        flash(_("Tệp quá lớn (tối đa 2 MB)."), "error")
    else:
        added, updated = catalogue.import_procedures(raw)
        flash(
            _(
                "Đã nhập: %(added)s thủ tục mới, %(updated)s thủ tục cập nhật.",
                added=added,
                updated=updated,
            ),
            "ok",
        )


@bp.route("/admin/procedures", methods=["GET", "POST"])
def procedures() -> Any:
    """The office's administrative procedures: what a dossier is accepted for, and in how long."""
    by = admin()
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        try:
            if action == "procedure_add":
                p = catalogue.add_procedure(form)
                flash(_("Đã thêm thủ tục %(code)s.", code=p.code), "ok")
            elif action == "procedure_save":
                p = catalogue.update_procedure(form.get("id"), form)
                flash(_("Đã lưu thủ tục %(code)s.", code=p.code), "ok")
            elif action == "procedure_import":
                _import_upload()
            else:
                flash(_("Thao tác không hợp lệ."), "error")
                return redirect(url_for("admin.procedures"))
            _audited(by, action, form)
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.procedures"))
    return render_template("admin/procedures.html", user=by, **catalogue.procedures_view())


@bp.get("/admin/procedures.csv")
def procedures_csv() -> Any:
    """The list as a spreadsheet file: to check, edit and load again."""
    admin()
    response = make_response("\ufeff" + catalogue.procedures_csv())  # BOM: Excel reads UTF-8
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="thu-tuc.csv"'
    return response


# --- the working calendar --------------------------------------------------------------------


def _change_calendar() -> None:
    """Add a day of the office's own, or remove one (the form says which)."""
    if request.form.get("remove"):
        workcal.remove_day(request.form["remove"])
        flash(_("Đã xóa ngày khỏi lịch của đơn vị."), "ok")
        return
    row = workcal.add_day(
        request.form.get("day"),
        request.form.get("kind"),
        request.form.get("name"),
        request.form.get("note", ""),
    )
    flash(_("Đã thêm %(day)s: %(name)s.", day=row["day"], name=row["name"]), "ok")


@bp.route("/admin/calendar", methods=["GET", "POST"])
def calendar() -> Any:
    """The working calendar: national days (generated) and the office's own, editable by admins."""
    me = user()
    year = request.args.get("year", type=int) or today(context.office()).year
    if not MINYEAR < year < MAXYEAR:  # ?year=-5: the calendar has no such year
        abort(404)
    if request.method == "POST":
        if not accounts.keeps_the_calendar(me):
            abort(403)
        try:
            _change_calendar()
            _audited(
                me,
                "calendar_remove" if request.form.get("remove") else "calendar_add",
                request.form,
            )
        except (DomainError, ValueError) as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.calendar", year=year))
    return render_template(
        "admin/calendar.html",
        year=year,
        days=workcal.year_days(year),
        kinds=workcal.DAY_KIND_LABELS,
        user=me,
    )
