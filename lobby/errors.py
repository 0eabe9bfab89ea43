"""One error shape for the API ({"error", "message"}) and friendly Vietnamese pages for people."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
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


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    if _wants_json():
        return jsonify(body), status
    page = render_template("error.html", status=status, code=code, message=message)
    return Response(page, status=status, mimetype="text/html"), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> tuple[Response, int]:
        return error_response(exc.status, exc.code, _(exc.message), exc.details)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response, int]:
        return error_response(
            403, "forbidden", _("Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
        )

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> tuple[Response, int]:
        resp, status = error_response(
            429, "rate_limited", _("Quý khách đã thử quá nhiều lần, vui lòng thử lại sau.")
        )
        return resp, status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        messages = {
            400: _("Yêu cầu không hợp lệ."),
            404: _("Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
            405: _("Phương thức không được hỗ trợ."),
            413: _("Dữ liệu gửi lên quá lớn."),
        }
        return error_response(status, code, messages.get(status, exc.description or ""))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        # Log the type and place only: request bodies may carry personal data.
        log.error(
            "unexpected %s at %s %s", type(exc).__name__, request.method, request.path, exc_info=exc
        )
        return error_response(
            500, "internal_error", _("Hệ thống đang gặp sự cố, vui lòng thử lại.")
        )
