"""Staff pages for dossiers and the leader's report: accept, follow, print the one-stop forms."""

from __future__ import annotations

import secrets
from datetime import MAXYEAR, MINYEAR, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.local import LocalProxy

from core.deadlines import TIMELINESS_LABELS_VI, Timeliness
from core.dossiers import ID_TYPE_LABELS, STATUS_LABELS, DossierAction, DossierStatus
from core.errors import DomainError
from lobby import dossiers, inputs, services, stats
from lobby.auth import current_principal
from lobby.extensions import db
from lobby.models import DossierEvent, Field, Procedure, StaffUser
from lobby.qr import qr_svg

bp = Blueprint(
    "admin",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin/static",
)

ACTION_LABELS = {
    "handover": _l("Chuyển xử lý (bàn giao)"),
    "request_supplement": _l("Yêu cầu bổ sung giấy tờ (Mẫu 02)"),
    "supplement_received": _l("Đã nhận đủ giấy tờ bổ sung"),
    "request_payment": _l("Yêu cầu nộp phí, lệ phí"),
    "paid": _l("Đã nộp phí, lệ phí"),
    "result_ready": _l("Đã có kết quả"),
    "return": _l("Trả kết quả"),
    "withdraw": _l("Công dân rút hồ sơ"),
    "stop": _l("Dừng xử lý"),
    "apologise": _l("Lập phiếu xin lỗi, hẹn lại (Mẫu 04)"),
    "reissue_pin": _l("Cấp lại mã tra cứu"),  # a history row only, not a status change
}
UNIT_LABELS = {
    "working_day": "ngày làm việc",
    "working_hour": "giờ làm việc",
    "same_day": "trong ngày",
}


@bp.before_request
def _staff_only() -> Any:
    principal = current_principal()
    if principal.user is None:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except Exception:
            flash(_("Phiên làm việc đã hết hạn, vui lòng thử lại."), "error")
            return redirect(request.full_path.rstrip("?"))
    return None


def _user() -> StaffUser:
    user = current_principal().user
    assert user is not None
    return user


def _admin() -> StaffUser:
    """The signed-in administrator; 403 for anyone else (setting up the office is theirs)."""
    user = _user()
    if user.role != "admin":
        abort(403)
    return user


def _local(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@bp.app_template_filter("vn_datetime")
def vn_datetime(value: str | datetime | None, style: str = "short") -> str:
    """'14 giờ 05 phút, ngày 30/11/2026' (Mẫu 01 style) or '14:05 30/11/2026'."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    dt = dt.astimezone(ZoneInfo(services.office().timezone))
    if style == "form":
        return f"{dt:%H} giờ {dt:%M} phút, ngày {dt:%d/%m/%Y}"
    return f"{dt:%H:%M} {dt:%d/%m/%Y}"


@bp.app_template_filter("vn_date")
def vn_date(value: str | date | None) -> str:
    """'2026-11-30' → '30/11/2026': Vietnamese pages write dates day first."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d/%m/%Y}"


@bp.get("/admin")
def dashboard() -> str:
    start, end = stats.parse_range(request.args.get("from"), request.args.get("to"))
    figures = stats.office_stats(start, end)
    return render_template(
        "admin/dashboard.html",
        s=figures,
        rating_levels=dossiers.rating_choices(),
        due=dossiers.due_lists(_user()),
        user=_user(),
        office=services.office(),
        takeovers=stats.counter_takeovers(start, end),
    )


@bp.get("/admin/dossiers")
def dossier_list() -> Any:
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("admin.dossier_detail", code=code))
    return render_template("admin/dossiers.html", due=dossiers.due_lists(_user()), user=_user())


def _procedures(first_field_id: int | None = None) -> list[tuple[Field, list[Procedure]]]:
    """Active procedures by field, the ticket's field first (nothing is chosen for the officer)."""
    o = services.office()
    fields = db.session.scalars(
        select(Field).where(Field.office_id == o.id, Field.active).order_by(Field.sort_order)
    ).all()
    procs = db.session.scalars(
        select(Procedure)
        .where(Procedure.office_id == o.id, Procedure.active)
        .order_by(Procedure.name_vi)
    ).all()
    fields = sorted(fields, key=lambda f: f.id != first_field_id)
    return [(f, [p for p in procs if p.field_id == f.id]) for f in fields]


_COUNTS = ("ban_chinh", "ban_chung_thuc", "ban_photo")


def _form_count(value: str | None) -> int | None:
    try:
        return int(value or 0)
    except ValueError:
        return None


def _document_rows(form: Any, proc: Procedure | None) -> list[dict[str, Any]]:
    """The documents table of the intake form: as sent back (ticked or not, with counts), else
    the chosen procedure's list, all ticked."""
    rows = []
    for i in range(100):
        name = (form.get(f"c-{i}-name") or "").strip()
        if not name:
            break
        row: dict[str, Any] = {"name": name, "on": form.get(f"c-{i}-on") == "1"}
        row.update({k: _form_count(form.get(f"c-{i}-{k}")) for k in _COUNTS})
        rows.append(row)
    if rows or proc is None:
        return rows
    return [{"on": True, **{k: 0 for k in _COUNTS}, **c} for c in proc.components or []]


def _intake_components(form: Any, proc: Procedure | None) -> list[dict[str, Any]] | None:
    ticked = [
        {"name": r["name"], **{k: r[k] for k in _COUNTS}}
        for r in _document_rows(form, None)
        if r["on"]
    ]
    extra = [
        {"name": line.strip(), "ban_chinh": 1}
        for line in (form.get("components") or "").splitlines()
        if line.strip()
    ]
    return (ticked + extra) or None


def _procedure_data(groups: list[tuple[Field, list[Procedure]]]) -> list[dict[str, Any]]:
    """What the intake script needs to prefill the documents (no personal data)."""
    return [
        {"code": p.code, "components": list(p.components or [])} for _f, ps in groups for p in ps
    ]


def _receipt_page(code: str, pin: str | None = None, *, reprint: bool = False) -> Any:
    """Mẫu 01 on A5. With a PIN (just accepted, or a new PIN issued) it is shown on this page
    only: never stored, and the browser is told not to keep the page."""
    d = dossiers.dossier_by_code(code)
    view = dossiers.staff_dossier_view(d)
    proc = d.procedure
    deadline = (
        "Trong ngày"
        if proc.deadline_unit == "same_day"
        else f"{proc.deadline_value:02d} {UNIT_LABELS[proc.deadline_unit]}"
    )
    officer = db.session.get(StaffUser, d.staff_id) if d.staff_id else None
    response = make_response(
        render_template(
            "admin/receipt.html",
            d=view,
            office=services.office(),
            qr=_qr(view["url"]),
            deadline=deadline,
            officer=officer,
            pin=pin,
            reprint=reprint,
            fee=proc.fee_text,
            today=services.local_now(services.office()),
            id_labels={t.value: label for t, label in ID_TYPE_LABELS.items()},
        )
    )
    if pin:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/dossiers/new", methods=["GET", "POST"])
def dossier_new() -> Any:
    ticket_id = request.values.get("ticket", type=inputs.int64)
    ticket = services.ticket_by_id(ticket_id) if ticket_id else None
    form = request.form
    error = None
    groups = _procedures(ticket.field_id if ticket else None)
    chosen = next((p for _f, ps in groups for p in ps if p.code == form.get("procedure")), None)
    once = form.get("once") or ""
    done = session.get("intake_done", {})
    if request.method == "POST" and once in done:
        # The browser sent the form again (a reload of the receipt page): no second dossier.
        flash(_("Hồ sơ này đã được tiếp nhận; mã tra cứu chỉ hiện một lần."), "error")
        return redirect(url_for("admin.dossier_detail", code=done[once]))
    if request.method == "POST":
        body = {
            "ticket_id": ticket_id,
            "procedure": form.get("procedure"),
            "applicant": {
                k: form.get(k, "")
                for k in ("full_name", "id_type", "id_number", "phone", "email", "address")
            },
            "components": _intake_components(form, chosen),
            "sets_count": form.get("sets_count", type=int) or 1,
            "fee_method": form.get("fee_method", ""),
            "print": form.get("print") == "1",
        }
        if any(r[k] is None for r in _document_rows(form, None) for k in _COUNTS):
            error = _("Số bản của mỗi giấy tờ phải là số nguyên 0–99.")
        else:
            try:
                result = dossiers.accept_dossier(body, _user())
            except DomainError as exc:
                error = _(exc.message)
            else:
                if once:  # the code only, never the PIN
                    session["intake_done"] = dict([*done.items(), (once, result["code"])][-20:])
                flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=result["code"]), "ok")
                if result.get("print", {}).get("status") == "queued":
                    flash(_("Giấy hẹn (có mã tra cứu) đang in ở máy in của quầy."), "ok")
                    return redirect(url_for("admin.dossier_detail", code=result["code"]))
                # No printer at this counter: the A5 receipt, the only place the PIN is shown.
                return _receipt_page(result["code"], result["lookup_pin"])
    return render_template(
        "admin/new.html",
        ticket=ticket,
        groups=groups,
        error=error,
        form=form,
        rows=_document_rows(form, chosen),
        procedure_data=_procedure_data(groups),
        once=once or secrets.token_urlsafe(12),
        id_types={t.value: _(label) for t, label in ID_TYPE_LABELS.items()},
        units=UNIT_LABELS,
        user=_user(),
    )


@bp.get("/admin/dossiers/<code>")
def dossier_detail(code: str) -> Any:
    try:
        d = dossiers.dossier_by_code(code)
    except DomainError as exc:
        return render_template(
            "error.html", status=exc.status, code=exc.code, message=_(exc.message)
        ), exc.status
    view = dossiers.staff_dossier_view(d)
    return render_template(
        "admin/detail.html",
        d=view,
        actions=ACTION_LABELS,
        user=_user(),
        once=secrets.token_urlsafe(12),
    )


@bp.post("/admin/dossiers/<code>/pin")
def reissue_pin(code: str) -> Any:
    """Cấp lại mã tra cứu after checking the citizen's ID; the receipt is printed again with it."""
    form = request.form
    back = redirect(url_for("admin.dossier_detail", code=code) + "#pin")
    if not _first_time(form.get("once")):
        flash(_("Việc này đã làm rồi; mã tra cứu chỉ hiện một lần."), "error")
        return back
    body = {
        "id_number": form.get("id_number") or None,
        "identity_checked": form.get("identity_checked") == "1",
        "print": form.get("print") == "1",
    }
    try:
        result = dossiers.reissue_pin(code, body, _user())
    except DomainError as exc:
        flash(_(exc.message), "error")
        return back
    if result.get("print", {}).get("status") == "queued":
        flash(_("Đã cấp lại mã tra cứu; giấy hẹn mới đang in ở máy in của quầy."), "ok")
        return back
    return _receipt_page(code, result["pin"], reprint=True)


@bp.post("/admin/dossiers/<code>/events")
def dossier_event(code: str) -> Any:
    form = request.form
    body: dict[str, Any] = {k: form.get(k) or None for k in ("action", "note", "reason", "to_unit")}
    if form.get("new_due_at"):
        body["new_due_at"] = form["new_due_at"]
    items = [line.strip() for line in (form.get("items") or "").splitlines() if line.strip()]
    if items:
        body["items"] = [{"name": name} for name in items]
    try:
        dossiers.apply_event(code, body, _user())
        action = ACTION_LABELS.get(body["action"] or "", body["action"])
        flash(_("Đã ghi nhận: %(action)s.", action=action), "ok")
    except DomainError as exc:
        flash(_(exc.message), "error")
    return redirect(url_for("admin.dossier_detail", code=code))


def _qr(url: str) -> Markup:
    return Markup(qr_svg(url).decode("utf-8").split("?>", 1)[-1])  # inline SVG, our own markup


@bp.get("/admin/dossiers/<code>/receipt")
def receipt(code: str) -> Any:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả, on A5, with the QR to the public page.
    Opened again later it has no PIN (none is kept) and says how to get a new one."""
    return _receipt_page(code)


@bp.get("/admin/dossiers/<code>/notice/<kind>")
def notice(code: str, kind: str) -> str:
    """Mẫu 02 (supplement request) or Mẫu 04 (apology and new date), from the dossier's events."""
    action = {"supplement": "request_supplement", "apology": "apologise"}.get(kind)
    if action is None:
        abort(404)
    d = dossiers.dossier_by_code(code)
    ev = db.session.scalar(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == d.id, DossierEvent.action == action)
        .order_by(DossierEvent.id.desc())
        .limit(1)
    )
    if ev is None:
        abort(404)
    officer = db.session.get(StaffUser, ev.actor_staff_id) if ev.actor_staff_id else None
    return render_template(
        f"admin/notice_{kind}.html",
        d=dossiers.staff_dossier_view(d),
        ev=ev,
        office=services.office(),
        officer=officer,
        today=services.local_now(services.office()),
    )


@bp.route("/admin/notices/refusal", methods=["GET", "POST"])
def refusal() -> str:
    """Mẫu 03: refusal at intake with specific reasons; printed from the form, nothing stored."""
    form = request.form if request.method == "POST" else None
    return render_template(
        "admin/notice_refusal.html",
        form=form,
        office=services.office(),
        user=_user(),
        today=services.local_now(services.office()),
    )


def _request_office() -> Any:
    """The office, read once per request and only when a page uses it."""
    if "lobby_office" not in g:
        g.lobby_office = services.office()
    return g.lobby_office


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    # Lazy: an error page (404 on an empty database, 503 in an outage) never reads the database.
    return {
        "office": LocalProxy(_request_office),
        "STATUS_LABELS": {s.name.lower(): lab for s, lab in STATUS_LABELS.items()},
        "TIMELINESS": {t.value: TIMELINESS_LABELS_VI[t] for t in Timeliness},
        "DossierStatus": DossierStatus,
        "DossierAction": DossierAction,
    }


@bp.route("/admin/calendar", methods=["GET", "POST"])
def calendar() -> Any:
    """The working calendar: national days (generated) and the office's own, editable by admins."""
    from lobby import workcal

    user = _user()
    year = request.args.get("year", type=int) or services.today(services.office()).year
    if not MINYEAR < year < MAXYEAR:  # ?year=-5: the calendar has no such year
        abort(404)
    if request.method == "POST":
        if user.role not in ("admin", "leader"):
            abort(403)
        try:
            if request.form.get("remove"):
                workcal.remove_day(request.form["remove"])
                flash(_("Đã xóa ngày khỏi lịch của đơn vị."), "ok")
            else:
                row = workcal.add_day(
                    request.form.get("day"),
                    request.form.get("kind"),
                    request.form.get("name"),
                    request.form.get("note", ""),
                )
                flash(_("Đã thêm %(day)s: %(name)s.", day=row["day"], name=row["name"]), "ok")
        except (DomainError, ValueError) as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.calendar", year=year))
    return render_template(
        "admin/calendar.html",
        year=year,
        days=workcal.year_days(year),
        kinds=workcal.DAY_KIND_LABELS,
        user=user,
    )


@bp.route("/admin/setup", methods=["GET", "POST"])
def setup() -> Any:
    """The administrator sets up the office: its details, fields (lĩnh vực) and counters."""
    from lobby import office_setup

    user = _admin()
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        section = {
            "office": "office",
            "hours": "hours",
            "reception_hours": "hours",
            "rules": "rules",
            "field_add": "fields",
            "field_save": "fields",
        }.get(action, "counters")
        try:
            if action == "office":
                office_setup.update_office(form)
                flash(_("Đã lưu thông tin đơn vị."), "ok")
            elif action == "hours":
                office_setup.update_hours(form, "ticketing")
                flash(_("Đã lưu giờ phát số."), "ok")
            elif action == "reception_hours":
                office_setup.update_hours(form, "reception")
                flash(_("Đã lưu giờ tiếp nhận hồ sơ."), "ok")
            elif action == "rules":
                office_setup.update_dossier_rules(form)
                flash(_("Đã lưu quy tắc hồ sơ."), "ok")
            elif action == "field_add":
                f = office_setup.add_field(form)
                flash(_("Đã thêm lĩnh vực %(name)s.", name=f.name_vi), "ok")
            elif action == "field_save":
                f = office_setup.update_field(form.get("id"), form)
                flash(_("Đã lưu lĩnh vực %(name)s.", name=f.name_vi), "ok")
            elif action == "counter_add":
                c = office_setup.add_counter(form, form.getlist("fields"))
                flash(_("Đã thêm quầy %(number)s.", number=c.number), "ok")
            elif action == "counter_save":
                c = office_setup.update_counter(form.get("id"), form, form.getlist("fields"))
                flash(_("Đã lưu quầy %(number)s.", number=c.number), "ok")
            else:
                flash(_("Thao tác không hợp lệ."), "error")
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.setup", s=section) + "#" + section)
    return render_template(
        "admin/setup.html", user=user, focus=request.args.get("s"), **office_setup.setup_view()
    )


_SECRET_ACTIONS = ("user_add", "user_reset", "device_add", "device_pair")


def _first_time(once: str | None) -> bool:
    """Forms that show a secret carry a one-time value: sent again by a reload, they are not
    acted on twice (a second reset would replace the password just shown)."""
    if not once:
        return True
    done = session.get("done_once", [])
    if once in done:
        return False
    session["done_once"] = [*done, once][-20:]
    return True


@bp.route("/admin/staff", methods=["GET", "POST"])
def staff() -> Any:
    """Staff accounts and devices. A generated password or a pairing link is shown once, on
    the page that made it (never kept in a flash cookie)."""
    from lobby import accounts

    user = _admin()
    secret: dict[str, Any] | None = None
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        section = "devices" if action.startswith("device") else "users"
        if action in _SECRET_ACTIONS and not _first_time(form.get("once")):
            # The browser sent the page again (reload): the password or link was shown once.
            flash(_("Việc này đã làm rồi; mật khẩu, liên kết chỉ hiện một lần."), "error")
            return redirect(url_for("admin.staff", s=section) + "#" + section)
        try:
            if action == "user_add":
                made, password = accounts.create_user(
                    form.get("username"),
                    form.get("role"),
                    counter=form.get("counter"),
                    full_name=form.get("full_name"),
                    title=form.get("title"),
                )
                secret = {"user": made, "password": password}
            elif action == "user_reset":
                made, password = accounts.reset_password(form.get("id"))
                secret = {"user": made, "password": password}
            elif action == "user_save":
                saved = accounts.update_user(form.get("id"), form, by=user)
                flash(_("Đã lưu tài khoản %(name)s.", name=saved.username), "ok")
            elif action in ("device_add", "device_pair"):
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
                secret = {"device": device, "url": url, "qr": _qr(url)}
            elif action == "device_off":
                device = accounts.withdraw_device(form.get("id"))
                flash(_("Đã thu hồi %(name)s.", name=device.name), "ok")
            else:
                flash(_("Thao tác không hợp lệ."), "error")
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
            secret = None
        if secret is None:
            return redirect(url_for("admin.staff", s=section) + "#" + section)
    page = render_template(
        "admin/staff.html",
        user=user,
        focus=request.args.get("s"),
        secret=secret,
        once=secrets.token_urlsafe(12),
        roles={
            "admin": _("Quản trị"),
            "leader": _("Lãnh đạo"),
            "officer": _("Cán bộ"),
        },
        kinds={
            "kiosk": _("Máy lấy số"),
            "board": _("Màn hình gọi số"),
            "tablet": _("Máy đánh giá"),
        },
        **accounts.staff_and_devices(),
    )
    response = make_response(page)
    if secret is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/procedures", methods=["GET", "POST"])
def procedures() -> Any:
    """The office's administrative procedures: what a dossier is accepted for, and in how long."""
    from lobby import office_setup

    user = _admin()
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        try:
            if action == "procedure_add":
                p = office_setup.add_procedure(form)
                flash(_("Đã thêm thủ tục %(code)s.", code=p.code), "ok")
            elif action == "procedure_save":
                p = office_setup.update_procedure(form.get("id"), form)
                flash(_("Đã lưu thủ tục %(code)s.", code=p.code), "ok")
            elif action == "procedure_import":
                upload = request.files.get("file")
                raw = upload.read(2_000_000 + 1) if upload else b""
                if not raw:
                    flash(_("Chọn tệp CSV danh sách thủ tục."), "error")
                elif len(raw) > 2_000_000:
                    flash(_("Tệp quá lớn (tối đa 2 MB)."), "error")
                else:
                    added, updated = office_setup.import_procedures(raw)
                    flash(
                        _(
                            "Đã nhập: %(added)s thủ tục mới, %(updated)s thủ tục cập nhật.",
                            added=added,
                            updated=updated,
                        ),
                        "ok",
                    )
            else:
                flash(_("Thao tác không hợp lệ."), "error")
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.procedures"))
    return render_template("admin/procedures.html", user=user, **office_setup.procedures_view())


@bp.get("/admin/procedures.csv")
def procedures_csv() -> Any:
    """The list as a spreadsheet file: to check, edit and load again."""
    from lobby import office_setup

    _admin()
    response = make_response("\ufeff" + office_setup.procedures_csv())  # BOM: Excel reads UTF-8
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="thu-tuc.csv"'
    return response
