"""Citizen reception at /admin: the schedule (administrators and leaders edit it, every staff
member reads it) with the law's rhythm for this month and the next, and the reception book
(form 03/TCD) with its print view and the receipt of documents (form 02/TCD)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin.blueprint import bp, user
from core.access import SUPERVISORS
from core.errors import DomainError
from lobby.reception import book, schedule


def edits_the_schedule(u: Any) -> bool:
    """Administrators and leaders keep the reception schedule."""
    return u.role in SUPERVISORS


def _schedule_action(action: str, form: Any) -> str:
    if action == "entry_add":
        schedule.add_entry(form)
        return _("Đã thêm vào lịch tiếp công dân.")
    if action == "entry_save":
        schedule.update_entry(form.get("id"), form)
        return _("Đã lưu mục lịch.")
    if action == "entry_remove":
        schedule.remove_entry(form.get("id"))
        return _("Đã xóa mục lịch.")
    if action == "field_set":
        code = schedule.set_reception_field(form.get("field"))
        return _("Đã chọn lĩnh vực tiếp công dân.") if code else _("Đã bỏ lĩnh vực tiếp công dân.")
    return ""


@bp.route("/admin/reception", methods=["GET", "POST"])
def reception() -> Any:
    """The reception schedule and the rhythm the law asks of the chairman."""
    me = user()
    if request.method == "POST":
        if not edits_the_schedule(me):
            abort(403)
        try:
            done = _schedule_action(request.form.get("action", ""), request.form)
            flash(done or _("Thao tác không hợp lệ."), "ok" if done else "error")
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.reception"))
    view = schedule.admin_view()
    view["ordinal_labels"] = {
        1: _("tuần thứ nhất"),
        2: _("tuần thứ hai"),
        3: _("tuần thứ ba"),
        4: _("tuần thứ tư"),
        -1: _("tuần cuối"),
    }
    return render_template("admin/reception.html", user=me, may_edit=edits_the_schedule(me), **view)


@bp.route("/admin/reception/book", methods=["GET", "POST"])
def reception_book() -> Any:
    """The reception book of a month; staff add a line or write its handling."""
    me = user()
    year, month = book.month_of(request.values.get("month"))
    if request.method == "POST":
        try:
            if request.form.get("action") == "handling":
                row = book.update_handling(request.form.get("id"), request.form)
                flash(_("Đã lưu hướng xử lý dòng số %(n)s.", n=row.number), "ok")
            else:
                row = book.add_record(request.form, me)
                flash(_("Đã vào sổ, số thứ tự %(n)s.", n=row.number), "ok")
                year, month = row.received_at.year, row.received_at.month
        except DomainError as exc:
            flash(_(getattr(exc, "message", str(exc))), "error")
        return redirect(url_for("admin.reception_book", month=f"{year}-{month:02d}"))
    return render_template("admin/reception_book.html", user=me, **book.book_view(year, month))


@bp.get("/admin/reception/book/print")
def reception_book_print() -> Any:
    """Form 03/TCD of a month, on A4 (landscape)."""
    user()
    year, month = book.month_of(request.args.get("month"))
    return render_template("admin/reception_book_print.html", **book.book_view(year, month))


@bp.get("/admin/reception/book/<int:record_id>/receipt")
def reception_receipt(record_id: int) -> Any:
    """Form 02/TCD: the receipt of the documents a citizen handed in."""
    user()
    view = book.record_view(record_id)
    return render_template(
        "admin/reception_receipt.html", today=view["record"]["received_at"].date(), **view
    )
