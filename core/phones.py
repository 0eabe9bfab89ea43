"""A citizen's phone number for notifications: a Vietnamese mobile number, stored as 0xxxxxxxxx."""

from __future__ import annotations

from core.errors import InvalidRequest


def normalize_phone(raw: object, field: str = "phone") -> str:
    """0912 345 678, 0912.345.678, +84912345678 or 84912345678 → 0912345678. A Vietnamese
    number has 10 digits from 0 (a few old ones 11). Raises InvalidRequest naming `field`."""
    text = str(raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text or any(not (ch.isdigit() or ch in " .-+()") for ch in text) or not digits.isascii():
        raise InvalidRequest("Số điện thoại không hợp lệ (VD: 0912 345 678).", field=field)
    if digits.startswith("84") and (text.startswith("+") or len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        raise InvalidRequest("Số điện thoại không hợp lệ (VD: 0912 345 678).", field=field)
    return digits
