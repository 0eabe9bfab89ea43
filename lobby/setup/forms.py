"""The two form readers of the setup pages: a bounded text and a whole number in a range.

Each refusal is an InvalidRequest naming the form field, with a message for people.
"""

from __future__ import annotations

from typing import Any

from core.errors import InvalidRequest


def form_text(
    value: Any, label: str, field: str, *, required: bool = True, limit: int = 255
) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidRequest(f"Cần nhập {label}.", field=field)
    if len(text) > limit:
        raise InvalidRequest(f"{label.capitalize()} dài quá {limit} ký tự.", field=field)
    return text


def form_whole(
    value: Any, label: str, field: str, low: int, high: int, *, blank: bool = False
) -> Any:
    """A whole number in [low, high] from a form; None for an empty box when `blank`."""
    if blank and (value is None or str(value).strip() == ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidRequest(f"{label.capitalize()} phải là một số nguyên.", field=field) from None
    if not low <= number <= high:
        raise InvalidRequest(
            f"{label.capitalize()} phải từ {low} đến {high}.", field=field, low=low, high=high
        )
    return number
