"""Staff pages for citizens' feedback about the desk (phản ánh, kiến nghị): the leader's list
with its filters (status, overdue), one feedback with its history, and the steps (assign,
answer, publish, or close as out of scope). Leaders and admins see all; an officer sees what was given to them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin.blueprint import admin, bp, user
from core.errors import DomainError
from lobby.context import office
from lobby.feedback import rules as feedback_rules
from lobby.feedback import views as feedback_views
from lobby.feedback import workflow as feedback_workflow


@bp.get("/admin/feedback")
def feedback_list() -> str:
    status = request.args.get("status") or None
    overdue = request.args.get("overdue") == "1"
    return render_template(
        "admin/feedback_list.html",
        fb=feedback_views.feedback_list(user(), status, overdue),
        deadlines=feedback_rules.deadlines(office()),
        user=user(),
    )


@bp.post("/admin/feedback/deadlines")
def feedback_deadlines() -> Any:
    """The office's feedback deadlines in working days (DOMAIN §14 by default): the admin's."""
    admin()
    try:
        feedback_rules.update_deadlines(request.form)
    except DomainError as exc:
        flash(_(exc.message), "error")
    else:
        flash(_("Đã lưu thời hạn xử lý phản ánh."), "ok")
    return redirect(url_for("admin.feedback_list") + "#deadlines", code=303)


@bp.get("/admin/feedback/<code>")
def feedback_detail(code: str) -> str:
    return render_template(
        "admin/feedback_detail.html",
        f=feedback_views.feedback_detail(code, user()),
        user=user(),
    )


def _step(code: str, done: str, act: Any) -> Any:
    try:
        act()
    except DomainError as exc:
        flash(_(exc.message), "error")
    else:
        flash(done, "ok")
    return redirect(url_for("admin.feedback_detail", code=code), code=303)


@bp.post("/admin/feedback/<code>/assign")
def feedback_assign(code: str) -> Any:
    form = request.form
    return _step(
        code,
        _("Đã giao xử lý phản ánh %(code)s.", code=code),
        lambda: feedback_workflow.assign(code, form.get("assignee"), user(), form.get("note")),
    )


@bp.post("/admin/feedback/<code>/answer")
def feedback_answer(code: str) -> Any:
    return _step(
        code,
        _("Đã lưu trả lời phản ánh %(code)s.", code=code),
        lambda: feedback_workflow.answer(code, request.form.get("answer"), user()),
    )


@bp.post("/admin/feedback/<code>/publish")
def feedback_publish(code: str) -> Any:
    return _step(
        code,
        _("Đã công khai kết quả phản ánh %(code)s.", code=code),
        lambda: feedback_workflow.publish(code, user()),
    )


@bp.post("/admin/feedback/<code>/out-of-scope")
def feedback_out_of_scope(code: str) -> Any:
    return _step(
        code,
        _("Đã đóng phản ánh %(code)s: không thuộc phạm vi xử lý.", code=code),
        lambda: feedback_workflow.close_out_of_scope(code, request.form.get("reason"), user()),
    )
