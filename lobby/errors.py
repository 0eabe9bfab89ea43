"""One error shape for the API ({"error", "message"}) and friendly Vietnamese pages for people."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from core.errors import DomainError
from lobby.extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.accept_mimetypes.best == "application/json"
        or request.is_json
    )


def _reset_session() -> None:
    """End whatever transaction the failed request left: on PostgreSQL an aborted one refuses
    every later statement. Never raises: the database may be the thing that is down."""
    try:
        db.session.rollback()
    except Exception:  # the error page must be answered whatever the database does
        log.debug("rollback after an error failed", exc_info=True)


def database_down(exc: BaseException) -> bool:
    """The database cannot be reached or read (gone, refused, not a database): 503, not 500."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and (exc.connection_invalidated or type(exc) is DatabaseError)
    )


_FALLBACK_PAGE = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{message}</title></head><body><main><h1>{message}</h1>"
    '<p><a href="/">{home}</a></p></main></body></html>'
)


def _language() -> str:
    try:
        return str(get_locale() or "vi")
    except Exception:  # outside a request Babel has no locale to give
        return "vi"


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response, int]:
    """The API's {"error", "message"} or a friendly page in the visitor's language; neither
    reads the database (it may be why we are here)."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    if _wants_json():
        resp = jsonify(body)
    else:
        lang = _language()
        try:
            page = render_template(
                "error.html", status=status, code=code, message=message, lang=lang
            )
        except Exception:  # a page must still be answered, in plain words
            log.exception("the error page could not be drawn")
            page = _FALLBACK_PAGE.format(
                lang=lang, message=escape(message), home=escape(_("Về trang chủ"))
            )
        resp = Response(page, status=status, mimetype="text/html")
    resp.status_code = status
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp, status


def _http_messages() -> dict[int, str]:
    """Our words for Werkzeug's errors (its descriptions are English and technical)."""
    return {
        400: _("Yêu cầu không hợp lệ."),
        401: _("Vui lòng đăng nhập để tiếp tục."),
        403: _("Quý khách không có quyền xem trang này."),
        404: _("Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
        405: _("Phương thức không được hỗ trợ."),
        413: _("Dữ liệu gửi lên quá lớn."),
        415: _("Định dạng dữ liệu gửi lên không được hỗ trợ."),
        429: _("Quý khách đã thử quá nhiều lần, vui lòng thử lại sau."),
        500: _("Hệ thống đang gặp sự cố, vui lòng thử lại."),
        503: _("Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút."),
    }


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> tuple[Response, int]:
        _reset_session()
        return error_response(exc.status, exc.code, _(exc.message), exc.details)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response, int]:
        _reset_session()
        return error_response(
            403, "forbidden", _("Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
        )

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> tuple[Response, int]:
        _reset_session()
        resp, status = error_response(429, "rate_limited", _http_messages()[429])
        return resp, status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        _reset_session()
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = _http_messages().get(status) or _("Không thực hiện được yêu cầu.")
        # Keep what the exception says about itself (405's Allow, 429's Retry-After...).
        headers = {
            k: v
            for k, v in exc.get_headers()
            if k.lower() not in ("content-type", "content-length")
        }
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        _reset_session()
        if database_down(exc):
            # Type only: the driver's message may quote the statement and its parameters.
            log.error(
                "database unavailable (%s) at %s %s",
                type(exc).__name__,
                request.method,
                request.path,
            )
            return error_response(
                503, "unavailable", _http_messages()[503], headers={"Retry-After": "30"}
            )
        # Log the type and place only: request bodies may carry personal data.
        log.error(
            "unexpected %s at %s %s", type(exc).__name__, request.method, request.path, exc_info=exc
        )
        return error_response(
            500, "internal_error", _("Hệ thống đang gặp sự cố, vui lòng thử lại.")
        )
