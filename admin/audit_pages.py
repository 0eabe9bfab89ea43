"""The audit view (leaders and administrators): who did what and when, and each officer's
pause and serving time per day; the same as Excel and CSV files."""

from __future__ import annotations

from typing import Any

from flask import abort, make_response, render_template, request

from admin.blueprint import bp, user
from lobby.audit import export
from lobby.audit import views as audit
from lobby.setup import accounts


def _leader() -> Any:
    """The signed-in leader or administrator; 403 for an officer."""
    found = user()
    if not accounts.sees_the_report(found):
        abort(403)
    return found


@bp.get("/admin/audit")
def audit_view() -> Any:
    me = _leader()
    page = audit.audit_page(audit.parse_filters(request.args))
    return render_template(
        "admin/audit.html", user=me, labels=audit.ACTION_LABELS, query=request.args, **page
    )


def _file_name(f: audit.Filters, ext: str) -> str:
    return f"nhat-ky-{f.start.isoformat()}-{f.end.isoformat()}.{ext}"


@bp.get("/admin/audit.csv")
def audit_csv() -> Any:
    _leader()
    f = audit.parse_filters(request.args)
    response = make_response("\ufeff" + export.export_csv(f))  # BOM: Excel reads UTF-8
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(f, "csv")}"'
    return response


@bp.get("/admin/audit.xlsx")
def audit_xlsx() -> Any:
    _leader()
    f = audit.parse_filters(request.args)
    response = make_response(export.export_xlsx(f))
    response.headers["Content-Type"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(f, "xlsx")}"'
    return response
