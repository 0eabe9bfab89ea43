"""Input, in one place: hostile bytes stop here before any view or the database sees them, and
one reader per kind of value (form text, a whole number in a range, JSON body text) turns what a
person or a program sent into a value or an InvalidRequest naming the field.

PostgreSQL refuses NUL in text, a lone surrogate cannot be encoded as UTF-8, the JSON decoder
recurses once per nesting level, and neither database stores integers beyond 64 bits: each of
these used to surface as a 500 somewhere deep in a route. Paths get a bounded integer converter,
every request a guard on its path, query, headers, cookies and form, JSON bodies a check of
depth, text and integers (api.http.json_body), and query integers `int64` as their type.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from core.errors import InvalidRequest

INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32  # the deepest body the API takes is 3 levels; leave room for integrations


class BadInput(InvalidRequest):
    """Bytes no route can take (NUL, broken Unicode): 400 bad_request, a page for people."""

    code = "bad_request"
    status = 400
    default_message = "Yêu cầu có ký tự không hợp lệ."


def bad_text(value: str) -> bool:
    """True for text a database cannot store: a NUL character or a lone surrogate."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def int64(value: Any) -> int:
    """An integer that fits the database (for `request.args.get(..., type=int64)`); ValueError
    otherwise, so Werkzeug falls back to the default as it does for any non-number."""
    if isinstance(value, bool):
        raise ValueError("not an integer")
    n = int(value)
    if not -INT64_MAX - 1 <= n <= INT64_MAX:
        raise ValueError("integer out of range")
    return n


class Int64Converter(IntegerConverter):
    """`<int:...>` in every route: a number beyond 64 bits matches no route (404), as any
    other id that does not exist, instead of overflowing the database driver."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)


def check_json(data: Any) -> None:
    """Refuse a parsed JSON body nested deeper than MAX_JSON_DEPTH (400), or holding text a
    database cannot store or an integer beyond 64 bits (422). Iterative: no recursion to exhaust."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise BadInput("Nội dung JSON lồng nhau quá sâu.")
            for key, value in item.items():
                stack.append((key, depth))
                stack.append((value, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise BadInput("Nội dung JSON lồng nhau quá sâu.")
            stack.extend((value, depth + 1) for value in item)
        elif isinstance(item, str):
            if bad_text(item):
                raise InvalidRequest("Nội dung có ký tự không hợp lệ (NUL hoặc mã Unicode hỏng).")
        elif isinstance(item, int) and not -INT64_MAX - 1 <= item <= INT64_MAX:
            raise InvalidRequest("Số quá lớn.")


def _guard() -> None:
    """Every request: no NUL (or broken Unicode) in its path, query, headers, cookies or form."""
    values: list[str] = [request.path]
    for key, value in request.args.items(multi=True):
        values += (key, value)
    for key, value in request.headers.items():
        values += (key, value)
    for key, value in request.cookies.items(multi=True):
        values += (key, value)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            values += (key, value)
    if any(bad_text(v) for v in values):
        raise BadInput()


def register(app: Flask) -> None:
    """Before the blueprints: their `<int:…>` routes are built with the bounded converter."""
    app.url_map.converters["int"] = Int64Converter
    app.before_request(_guard)


# --- readers: one per kind of input, each refusal an InvalidRequest naming the field ------


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


def body_text(
    body: dict[str, Any], key: str, *, required: bool = False, limit: int = 255
) -> str | None:
    """body[key] as trimmed text (None when absent or empty); 422 when not text, too long, or
    required and missing."""
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise InvalidRequest(f"Thiếu thông tin bắt buộc: {key}.", field=key)
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"Trường {key} phải là chuỗi.", field=key)
    value = value.strip()
    if required and not value:
        raise InvalidRequest(f"Thiếu thông tin bắt buộc: {key}.", field=key)
    if len(value) > limit:
        raise InvalidRequest(f"Trường {key} dài quá {limit} ký tự.", field=key)
    return value
