"""Routes every surface shares: sign-in, device pairing, health, voice clips and fonts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from core.access import DeviceKind, Role
from core.errors import DomainError
from lobby.audit import log as audit_log
from lobby.auth import (
    DEVICE_COOKIE,
    AccountLocked,
    authenticate,
    current_device,
    end_session,
    principal_from_session,
    principal_from_token,
    start_session,
)
from lobby.config import REPO
from lobby.events import realtime_state
from lobby.extensions import db
from lobby.models import StaffUser
from lobby.queue import reference
from lobby.ratelimit import limiter, login_limit
from lobby.security import csrf_valid
from lobby.setup import accounts

bp = Blueprint("web", __name__)

VOICE_PACK = REPO / "display" / "static" / "voice"
FONT_DIR = REPO / "printers" / "fonts" / "web"
DEVICE_HOME = {DeviceKind.KIOSK: "/kiosk", DeviceKind.BOARD: "/display", DeviceKind.TABLET: "/rate"}
TEN_YEARS = 10 * 365 * 24 * 3600


@bp.app_context_processor
def _page_language() -> dict[str, str]:
    """`<html lang>` of every page follows the language it is shown in (?lang=, cookie)."""
    if not has_request_context():  # a template drawn outside a request (a job, a test)
        return {"lang": "vi"}
    return {"lang": str(get_locale() or "vi")}


@bp.get("/")
def home() -> Any:
    """The public home page: the office, its hours and hotline, lookup, procedures; staff
    sign in from a discreet link at the bottom."""
    return render_template(
        "home.html",
        info=reference.office_info(),
        fields=reference.procedures_by_field(),
    )


@bp.get("/favicon.ico")
def favicon() -> Any:
    return send_from_directory(Path(current_app.static_folder or ""), "favicon.ico", max_age=86400)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unreachable"
    finally:
        db.session.rollback()
    status = 200 if database == "ok" else 503
    # Without the message queue, each process still serves its own screens (tickets are issued,
    # numbers called): "degraded", but 200, so a load balancer keeps the process.
    realtime = realtime_state()
    ok = status == 200 and realtime == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database, "realtime": realtime}
    return jsonify(body), status


def _safe_next(target: str | None, home: str = "/counter") -> str:
    """Only same-site paths: never redirect a login to another host."""
    if not target:
        return home
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        return home
    return target


def _home_of(user: StaffUser) -> str:
    """Where a sign-in without ?next= lands: administrators set up the office, the others work
    at a counter."""
    return "/admin" if user.role == Role.ADMIN else "/counter"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        if not csrf_valid(request.form.get("csrf_token")):
            error, status = _("Phiên làm việc đã hết hạn, vui lòng thử lại."), 401
        else:
            username = (request.form.get("username") or "").strip().lower()
            password = request.form.get("password") or ""
            try:
                user = authenticate(username, password)
            except AccountLocked:
                error, status = (
                    _(
                        "Tài khoản này đã đăng nhập sai quá nhiều lần nên tạm khóa 15 phút. "
                        "Vui lòng thử lại sau, hoặc nhờ quản trị viên hỗ trợ."
                    ),
                    429,
                )
            else:
                if user is not None:
                    start_session(user)
                    audit_log.signed_in(user.id)
                    return redirect(_safe_next(request.args.get("next"), _home_of(user)))
                error, status = _("Tên đăng nhập hoặc mật khẩu không đúng."), 401
    return render_template("login.html", error=error), status


@bp.post("/logout")
def logout() -> Any:
    """Sign-out is a form POST with the page's CSRF token; it ends the session on the server."""
    if not csrf_valid(request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")):
        raise CSRFError(_("Phiên làm việc đã hết hạn, vui lòng tải lại trang."))
    signed_in = principal_from_session()
    if signed_in is not None:
        audit_log.signed_out(signed_in.user.id)
    end_session()
    return redirect(url_for("web.login"))


# What each device page is, for the page an unpaired browser sees (one page, one status for all).
DEVICE_LABELS = {
    DeviceKind.KIOSK: (_l("máy lấy số"), _l("Máy lấy số sảnh")),
    DeviceKind.BOARD: (_l("màn hình gọi số"), _l("Màn hình sảnh")),
    DeviceKind.TABLET: (_l("máy đánh giá"), _l("Máy đánh giá quầy 1")),
}


def unpaired_page(kind: str) -> tuple[str, int]:
    """The kiosk, board and rating tablet answer a browser that is not their paired device alike:
    403 and how to pair it, from /admin/staff or the command line. A revoked or mistyped token is
    not told apart from no pairing at all."""
    try:
        principal = current_device()
    except DomainError:
        principal = None
    device = principal.device if principal is not None else None
    label, example = DEVICE_LABELS[kind]
    return render_template(
        "unpaired.html",
        kind=kind,
        label=label,
        example=example,
        other_kind=device is not None and device.kind != kind,
    ), 403


@bp.get("/pair/<token>")
def pair(token: str) -> Any:
    """Opening a device's pairing link once keeps it signed in with a long-lived cookie."""
    principal = principal_from_token(token)
    if principal is None or principal.device is None:
        return render_template(
            "error.html",
            status=404,
            code="not_found",
            message=_("Liên kết ghép nối không hợp lệ hoặc đã bị thu hồi."),
        ), 404
    # The link pairs one device; the browser it paired may open it again (a bookmark).
    again = request.cookies.get(DEVICE_COOKIE) == token
    if not again and not accounts.claim_pairing(principal.device.id):
        return render_template(
            "error.html",
            status=410,
            code="gone",
            message=_(
                "Liên kết ghép nối này đã được dùng cho một thiết bị. Để ghép nối thiết bị khác,"
                " quản trị viên bấm “Ghép nối lại” (hoặc thêm thiết bị mới) trên trang"
                " /admin/staff để có liên kết mới."
            ),
        ), 410
    resp = redirect(DEVICE_HOME.get(principal.device.kind, "/"))
    resp.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=TEN_YEARS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"],
    )
    return resp


def _voice_dirs(lang: str) -> list[Path]:
    """An office's own recordings (instance/voice/<lang>) win over the bundled pack."""
    return [Path(current_app.instance_path) / "voice" / lang, VOICE_PACK / lang]


def _manifest(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / "manifest.json").read_text("utf-8"))
        return dict(data.get("clips", {}))
    except (OSError, ValueError):
        return {}


@bp.get("/voice/<lang>/<clip>")
def voice(lang: str, clip: str) -> Any:
    if lang not in {"vi", "en"}:
        abort(404)
    for folder in _voice_dirs(lang):
        if not folder.is_dir():
            continue
        name = _manifest(folder).get(clip)
        if name is None:
            # Dropped-in recordings need no manifest: <clip>.ogg / .mp3 / .wav
            name = next(
                (
                    f"{clip}{ext}"
                    for ext in (".ogg", ".mp3", ".wav")
                    if (folder / f"{clip}{ext}").is_file()
                ),
                None,
            )
        if name and (folder / name).is_file():
            resp = send_from_directory(folder, name, max_age=86400)
            return resp
    abort(404)


@bp.get("/fonts/<path:name>")
def fonts(name: str) -> Any:
    return send_from_directory(FONT_DIR, name, max_age=30 * 86400)


@bp.after_app_request
def _remember_language(resp: Response) -> Response:
    """?lang=en (or vi) on any page is remembered for a year, so a phone keeps its choice."""
    lang = request.args.get("lang")
    if lang in ("vi", "en") and request.cookies.get("lang") != lang:
        resp.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return resp
