"""The staff pages' blueprint: who may enter, the one-time form values, the QR code, the date
filters and the labels every page may use. The routes live in admin/dossier_pages.py and
admin/setup_pages.py; admin/views.py gathers them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from werkzeug.local import LocalProxy

from core.deadlines import TIMELINESS_LABELS_VI, Timeliness
from core.dossiers import STATUS_LABELS, DossierAction, DossierStatus
from lobby.auth import current_principal
from lobby.context import office
from lobby.qr import qr_svg
from lobby.setup import accounts

bp = Blueprint(
    "admin",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin/static",
)


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


def user() -> Any:
    """The signed-in staff member (the blueprint lets nobody else in)."""
    found = current_principal().user
    assert found is not None
    return found


def admin() -> Any:
    """The signed-in administrator; 403 for anyone else (setting up the office is theirs)."""
    found = user()
    if not accounts.sets_up_the_office(found):
        abort(403)
    return found


def first_time(once: str | None) -> bool:
    """Forms that show a secret carry a one-time value: sent again by a reload, they are not
    acted on twice (a second reset would replace the password just shown)."""
    if not once:
        return True
    done = session.get("done_once", [])
    if once in done:
        return False
    session["done_once"] = [*done, once][-20:]
    return True


def qr(url: str) -> Markup:
    return Markup(qr_svg(url).decode("utf-8").split("?>", 1)[-1])  # inline SVG, our own markup


@bp.app_template_filter("vn_datetime")
def vn_datetime(value: str | datetime | None, style: str = "short") -> str:
    """'14 giờ 05 phút, ngày 30/11/2026' (Mẫu 01 style) or '14:05 30/11/2026'."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    dt = dt.astimezone(ZoneInfo(_request_office().timezone))  # read once per request
    if style == "form":
        return f"{dt:%H} giờ {dt:%M} phút, ngày {dt:%d/%m/%Y}"
    if style == "seconds":
        return f"{dt:%H:%M:%S} {dt:%d/%m/%Y}"
    return f"{dt:%H:%M} {dt:%d/%m/%Y}"


@bp.app_template_filter("minutes")
def minutes(seconds: float | None) -> str:
    """A duration in seconds as the report's minutes, one decimal ('—' when there is none)."""
    return "—" if seconds is None else f"{seconds / 60:.1f}"


@bp.app_template_filter("vn_date")
def vn_date(value: str | date | None) -> str:
    """'2026-11-30' → '30/11/2026': Vietnamese pages write dates day first."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d/%m/%Y}"


def _request_office() -> Any:
    """The office, read once per request and only when a page uses it."""
    if "lobby_office" not in g:
        g.lobby_office = office()
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
        "sets_up_the_office": accounts.sets_up_the_office,
        "keeps_the_calendar": accounts.keeps_the_calendar,
        "sees_the_report": accounts.sees_the_report,
    }
