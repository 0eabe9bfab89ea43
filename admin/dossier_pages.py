"""Staff pages for dossiers and the leader's report: accept, follow, print the one-stop forms."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.blueprint import bp, first_time, qr, user
from core.deadlines import DeadlineUnit
from core.dossiers import ID_TYPE_LABELS
from core.errors import DomainError
from lobby import forms
from lobby.context import local_now, office
from lobby.dossiers import book as dossier_book
from lobby.dossiers import listing as dossier_listing
from lobby.dossiers import lookup as dossier_lookup
from lobby.dossiers import operations as dossier_operations
from lobby.dossiers import pins as dossier_pins
from lobby.dossiers import ratings as dossier_ratings
from lobby.dossiers import views as dossier_views
from lobby.dossiers.views import last_event
from lobby.feedback import views as feedback_views
from lobby.notify.settings import GATEWAY
from lobby.notify.settings import adapters as notify_adapters
from lobby.offloop import run_off_loop, run_off_loop_in_app
from lobby.queue import reference
from lobby.setup import accounts, catalogue
from lobby.stats import charts as stats_charts
from lobby.stats import period as stats_period
from lobby.stats import report as stats_report

ACTION_LABELS = {
    "handover": _l("Chuyển xử lý (bàn giao)"),
    "request_supplement": _l("Yêu cầu bổ sung giấy tờ (Mẫu 02)"),
    "supplement_received": _l("Đã nhận đủ giấy tờ bổ sung"),
    "request_payment": _l("Yêu cầu nộp phí, lệ phí"),
    "paid": _l("Đã nộp phí, lệ phí"),
    "result_ready": _l("Đã có kết quả"),
    "return": _l("Trả kết quả"),
    "withdraw": _l("Công dân rút hồ sơ"),
    "stop": _l("Dừng xử lý theo đề nghị của người nộp (Mẫu 05)"),
    "apologise": _l("Lập phiếu xin lỗi, hẹn lại (Mẫu 04)"),
    "reissue_pin": _l("Cấp lại mã tra cứu"),  # a history row only, not a status change
}
UNIT_LABELS = {
    DeadlineUnit.WORKING_DAY.value: "ngày làm việc",
    DeadlineUnit.WORKING_HOUR.value: "giờ làm việc",
    DeadlineUnit.SAME_DAY.value: "trong ngày",
}
CHANNEL_LABELS = {
    "truc_tiep": _l("Trực tiếp"),
    "buu_chinh": _l("Bưu chính"),
    "truc_tuyen": _l("Trực tuyến"),
}
_COUNTS = ("ban_chinh", "ban_chung_thuc", "ban_photo")


@bp.get("/admin")
def dashboard() -> str:
    start, end = stats_period.parse_range(request.args.get("from"), request.args.get("to"))
    wanted = {
        "level": request.args.get("level") or None,
        "counter": request.args.get("counter", type=int),
    }
    figures = stats_report.office_stats(
        start, end, grain=request.args.get("grain"), comment_filter=wanted
    )
    return render_template(
        "admin/dashboard.html",
        s=figures,
        charts=stats_charts.charts(figures),
        wanted=wanted,
        channel_labels=CHANNEL_LABELS,
        unit_labels=UNIT_LABELS,
        rating_levels=dossier_ratings.rating_choices(),
        due=dossier_views.due_lists(user()),
        user=user(),
        office=office(),
        takeovers=stats_report.counter_takeovers(start, end),
        feedback_overdue=feedback_views.overdue_count(user()),
    )


CHANNEL_LABELS = {
    "truc_tiep": _l("Trực tiếp"),
    "buu_chinh": _l("Bưu chính"),
    "truc_tuyen": _l("Trực tuyến"),
}
_LIST_ARGS = ("status", "procedure", "field", "from", "to", "channel", "timeliness", "q")


@bp.get("/admin/dossiers")
def dossier_list() -> Any:
    """Every dossier, filtered and searched (code, or name / phone / ID number through the
    blind index), 50 a page; the late, due-soon and ready lists below."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("admin.dossier_detail", code=code))
    args = {k: request.args[k] for k in _LIST_ARGS if request.args.get(k)}
    error, page = None, None
    try:
        page = dossier_listing.dossier_list(dossier_listing.parse_list_query(request.args))
    except DomainError as exc:
        error = _(exc.message)
    pages = {}
    if page is not None:
        for name, number in (("prev", page["page"] - 1), ("next", page["page"] + 1)):
            if 1 <= number <= page["pages"]:
                pages[name] = url_for("admin.dossier_list", **args, page=number)
    return render_template(
        "admin/dossiers.html",
        due=dossier_views.due_lists(user()),
        listing=page,
        pages=pages,
        args=args,
        error=error,
        choices=dossier_listing.list_choices(),
        channels=CHANNEL_LABELS,
        user=user(),
    )


# --- the intake form -------------------------------------------------------------------------


def _form_count(value: str | None) -> int | None:
    try:
        return int(value or 0)
    except ValueError:
        return None


def _document_rows(form: Any, proc: Any) -> list[dict[str, Any]]:
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


def _intake_components(form: Any) -> list[dict[str, Any]] | None:
    ticked = [
        {"name": r["name"], **{k: r[k] for k in _COUNTS}}
        for r in _document_rows(form, None)
        if r["on"]
    ]
    extra = [
        {"name": line, "ban_chinh": 1} for line in catalogue.document_lines(form.get("components"))
    ]
    return (ticked + extra) or None


def _procedure_data(groups: list[tuple[Any, list[Any]]]) -> list[dict[str, Any]]:
    """What the intake script needs to prefill the documents (no personal data)."""
    return [
        {"code": p.code, "components": list(p.components or [])} for _f, ps in groups for p in ps
    ]


def _intake_body(form: Any, ticket_id: int | None) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "procedure": form.get("procedure"),
        "applicant": {
            k: form.get(k, "")
            for k in ("full_name", "id_type", "id_number", "phone", "email", "address")
        },
        "components": _intake_components(form),
        "sets_count": form.get("sets_count", type=int) or 1,
        "digitised": form.get("digitised") == "1",
        "fee_method": form.get("fee_method", ""),
        "external_code": form.get("external_code") or None,
        "print": form.get("print") == "1",
        "notify_consent": form.get("notify_consent") == "1",
    }


def _accept(form: Any, ticket_id: int | None, once: str, done: dict[str, str]) -> Any:
    """Accept the dossier of the form: the page to answer with, or the error to show on the form."""
    if any(r[k] is None for r in _document_rows(form, None) for k in _COUNTS):
        return None, _("Số bản của mỗi giấy tờ phải là số nguyên 0–99.")
    try:
        result = dossier_operations.accept_dossier(_intake_body(form, ticket_id), user())
    except DomainError as exc:
        return None, _(exc.message)
    if once:  # the code only, never the PIN
        session["intake_done"] = dict([*done.items(), (once, result["code"])][-20:])
    flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=result["code"]), "ok")
    if result.get("print", {}).get("status") == "queued":
        flash(_("Giấy hẹn (có mã tra cứu) đang in ở máy in của quầy."), "ok")
        return redirect(url_for("admin.dossier_detail", code=result["code"])), None
    # No printer at this counter: the A5 receipt, the only place the PIN is shown.
    return _receipt_page(result["code"], result["lookup_pin"]), None


@bp.route("/admin/dossiers/new", methods=["GET", "POST"])
def dossier_new() -> Any:
    ticket_id = request.values.get("ticket", type=forms.int64)
    ticket = reference.ticket_by_id(ticket_id) if ticket_id else None
    form = request.form
    error = None
    groups = catalogue.intake_procedures(ticket.field_id if ticket else None)
    chosen = next((p for _f, ps in groups for p in ps if p.code == form.get("procedure")), None)
    once = form.get("once") or ""
    done = session.get("intake_done", {})
    if request.method == "POST" and once in done:
        # The browser sent the form again (a reload of the receipt page): no second dossier.
        flash(_("Hồ sơ này đã được tiếp nhận; mã tra cứu chỉ hiện một lần."), "error")
        return redirect(url_for("admin.dossier_detail", code=done[once]))
    if request.method == "POST":
        answer, error = _accept(form, ticket_id, once, done)
        if answer is not None:
            return answer
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
        user=user(),
        texting=GATEWAY in notify_adapters(),
    )


# --- one dossier -----------------------------------------------------------------------------


def _receipt_page(code: str, pin: str | None = None, *, reprint: bool = False) -> Any:
    """Mẫu 01 on A5. With a PIN (just accepted, or a new PIN issued) it is shown on this page
    only: never stored, and the browser is told not to keep the page."""
    d = dossier_lookup.dossier_by_code(code)
    view = dossier_views.staff_dossier_view(d)
    proc = d.procedure
    deadline = (
        "Trong ngày"
        if proc.deadline_unit == DeadlineUnit.SAME_DAY
        else f"{proc.deadline_value:02d} {UNIT_LABELS[proc.deadline_unit]}"
    )
    response = make_response(
        render_template(
            "admin/receipt.html",
            d=view,
            office=office(),
            qr=qr(view["url"]),
            deadline=deadline,
            officer=accounts.staff_user(d.staff_id),
            pin=pin,
            reprint=reprint,
            fee=proc.fee_text,
            book=dossier_book.book_entry(d),
            today=local_now(office()),
            id_labels={t.value: label for t, label in ID_TYPE_LABELS.items()},
        )
    )
    if pin:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/dossiers/<code>")
def dossier_detail(code: str) -> Any:
    try:
        d = dossier_lookup.dossier_by_code(code)
    except DomainError as exc:
        return render_template(
            "error.html", status=exc.status, code=exc.code, message=_(exc.message)
        ), exc.status
    view = dossier_views.staff_dossier_view(d)
    return render_template(
        "admin/detail.html",
        d=view,
        actions=ACTION_LABELS,
        user=user(),
        once=secrets.token_urlsafe(12),
    )


@bp.post("/admin/dossiers/<code>/pin")
def reissue_pin(code: str) -> Any:
    """Cấp lại mã tra cứu after checking the citizen's ID; the receipt is printed again with it."""
    form = request.form
    back = redirect(url_for("admin.dossier_detail", code=code) + "#pin")
    if not first_time(form.get("once")):
        flash(_("Việc này đã làm rồi; mã tra cứu chỉ hiện một lần."), "error")
        return back
    body = {
        "id_number": form.get("id_number") or None,
        "identity_checked": form.get("identity_checked") == "1",
        "print": form.get("print") == "1",
        "notify_consent": form.get("notify_consent") == "1",
    }
    try:
        result = dossier_pins.reissue_pin(code, body, user())
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
    items = catalogue.document_lines(form.get("items"))
    if items:
        body["items"] = [{"name": name} for name in items]
    try:
        dossier_operations.apply_event(code, body, user())
        action = ACTION_LABELS.get(body["action"] or "", body["action"])
        flash(_("Đã ghi nhận: %(action)s.", action=action), "ok")
    except DomainError as exc:
        flash(_(exc.message), "error")
    return redirect(url_for("admin.dossier_detail", code=code))


@bp.get("/admin/dossiers/<code>/receipt")
def receipt(code: str) -> Any:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả, on A5, with the QR to the public page.
    Opened again later it has no PIN (none is kept) and says how to get a new one."""
    return _receipt_page(code)


@bp.get("/admin/dossiers/book")
def tracking_book() -> Any:
    """Mẫu 07, sổ theo dõi hồ sơ: a period's dossiers in the circular's columns, on A4
    landscape, or (?format=xlsx) as an Excel workbook. Read and written off the event loop."""
    today = local_now(office()).date()
    args = {
        "from": request.args.get("from") or today.replace(day=1).isoformat(),
        "to": request.args.get("to") or today.isoformat(),
    }
    page, error = None, None
    try:
        start, end = dossier_book.parse_period(args["from"], args["to"], today)
        page = run_off_loop_in_app(dossier_book.book_page, start, end, one_at_a_time="book")
    except DomainError as exc:
        error = _(exc.message)
    if page is not None and request.args.get("format") == "xlsx":
        data = run_off_loop(dossier_book.book_xlsx, page, office().name)
        resp = make_response(data)
        resp.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        resp.headers["Content-Disposition"] = (
            f'attachment; filename="so-theo-doi-ho-so-{page["from"]}-{page["to"]}.xlsx"'
        )
        return resp
    return render_template(
        "admin/book.html",
        page=page,
        error=error,
        args=args,
        columns=dossier_book.COLUMNS,
        office=office(),
        today=local_now(office()),
    ), (200 if error is None else 422)


@bp.get("/admin/dossiers/<code>/notice/<kind>")
def notice(code: str, kind: str) -> str:
    """Mẫu 02 (supplement request), Mẫu 04 (apology, new date and extension request) or Mẫu 05
    (notice that handling stopped, at the citizen's request), from the dossier's events."""
    action = {"supplement": "request_supplement", "apology": "apologise", "stop": "stop"}.get(kind)
    if action is None:
        abort(404)
    d = dossier_lookup.dossier_by_code(code)
    ev = last_event(d.id, action)
    if ev is None:
        abort(404)
    return render_template(
        f"admin/notice_{kind}.html",
        d=dossier_views.staff_dossier_view(d),
        ev=ev,
        office=office(),
        officer=accounts.staff_user(ev.actor_staff_id),
        today=local_now(office()),
    )


@bp.route("/admin/notices/refusal", methods=["GET", "POST"])
def refusal() -> str:
    """Mẫu 03: refusal at intake with specific reasons; printed from the form, nothing stored."""
    form = request.form if request.method == "POST" else None
    return render_template(
        "admin/notice_refusal.html",
        form=form,
        office=office(),
        user=user(),
        today=local_now(office()),
    )
