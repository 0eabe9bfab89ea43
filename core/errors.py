"""Domain errors: each carries the API error code and HTTP status it maps to.

Messages are Vietnamese; the web layer translates them when the client asks for English.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request; `code` and `status` say how the API answers."""

    code: str = "conflict"
    status: int = 409
    default_message: str = "Yêu cầu xung đột với trạng thái hiện tại."

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any):
        self.message: str = message if message is not None else self.default_message
        if code is not None:
            # An instance-level code overrides the class default for this one error only.
            self.code = code
        # Details travel as extra keyword arguments in the web layer, so avoid the names
        # "status", "code" and "message" there.
        self.details: dict[str, Any] = details
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, str]:
        """The error body of API.md: `{"error": code, "message": text}`."""
        return {"error": self.code, "message": self.message}


class IllegalTransition(DomainError):
    """The ticket's current status does not allow the requested action."""

    code = "conflict"
    status = 409
    default_message = "Không thể thực hiện thao tác này ở trạng thái hiện tại của phiếu."


class QueueEmpty(DomainError):
    """No ticket is waiting for this counter."""

    code = "queue_empty"
    status = 409
    default_message = "Không còn số nào đang chờ."


class OutsideHours(DomainError):
    """Tickets are issued only inside the office's ticketing windows."""

    code = "outside_hours"
    status = 409
    default_message = "Ngoài giờ lấy số. Vui lòng quay lại trong giờ làm việc."


class DailyLimitReached(DomainError):
    """The field has issued its daily number of tickets."""

    code = "daily_limit_reached"
    status = 409
    default_message = "Lĩnh vực này đã hết số trong ngày."


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"
    status = 404
    default_message = "Không tìm thấy."


class InvalidRequest(DomainError):
    """Well-formed input that breaks a rule (HTTP 422)."""

    code = "invalid_request"
    status = 422
    default_message = "Yêu cầu không hợp lệ."


class UnsupportedMediaType(DomainError):
    """The body is in a format the route does not read (HTTP 415)."""

    code = "unsupported_media_type"
    status = 415
    default_message = "Định dạng dữ liệu gửi lên không được hỗ trợ."


class Forbidden(DomainError):
    """The caller may not do this."""

    code = "forbidden"
    status = 403
    default_message = "Bạn không có quyền thực hiện thao tác này."
