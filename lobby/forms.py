"""Input, in one place: hostile bytes stop here before any view or the database sees them, and
one reader per kind of value (form text, a whole number in a range, JSON body text) turns what a
person or a program sent into a value or an InvalidRequest naming the field.

PostgreSQL refuses NUL in text, a lone surrogate cannot be encoded as UTF-8, the JSON decoder
recurses once per nesting level, and neither database stores integers beyond 64 bits: each of
these used to surface as a 500 somewhere deep in a route. Paths get a bounded integer converter,
every request a guard on its path, query, headers, cookies and form, JSON bodies a check of
depth, text and integers (api.http.json_body), and query integers `int64` as their type.

Below them, the schemas' tools (`check()`, `Predicate`, `Rule`, `text`): a body's fields, types,
ranges and messages declared once, checked by the API and by the staff pages alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from flask import Flask, request
from marshmallow import INCLUDE, Schema, ValidationError, fields
from marshmallow.validate import Validator
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


def whole(value: Any, low: int | None = None, high: int | None = None) -> bool:
    """A JSON integer (an id, a count), within [low, high] when given. JSON's true and false
    are not numbers, though Python's bool is an int: `true` is never the id 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (low is None or value >= low) and (high is None or value <= high)


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


def trimmed(value: Any) -> str | None:
    """Checked text as stored: trimmed, None when absent or blank (the schema's `text` field
    has refused anything else already)."""
    return (value.strip() or None) if isinstance(value, str) else None


# --- bodies declared once: marshmallow schemas and check() ----------------------------------
#
# A JSON body (or a form turned into one) is declared by a schema class; check() runs it and
# answers the first refusal as InvalidRequest with the very message, `field` and details the
# domain always answered. api/schemas.py draws the OpenAPI document from the same classes.
# They live here, below lobby/, so that a use case shared by an API route and a staff page (which
# may not import api/) checks what both send with the one declaration.


def gettext_noop(text: str) -> str:
    """Marks a message for extraction (tools/i18n.sh runs Babel with -k gettext_noop)."""
    return text


class Open(Schema):
    """A JSON object that may carry more keys than those declared."""

    class Meta:
        unknown = INCLUDE


def says(message: str) -> dict[str, str]:
    """One message for a missing, null or mistyped value (the domain never told them apart)."""
    return {"required": message, "null": message, "invalid": message}


class Predicate(Validator):
    """A rule as a function (true: the value is right) with the domain's message."""

    def __init__(self, rule: Callable[[Any], bool], error: str) -> None:
        self.rule = rule
        self.error = error

    def __call__(self, value: Any) -> Any:
        if not self.rule(value):
            raise ValidationError(self.error)
        return value


class Rule(Validator):
    """A parser of core/ or lobby/ that refuses with its own InvalidRequest (message, field and
    details as the domain answers them): the refusal is this field's, unchanged."""

    error = ""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        self.parse = parse

    def __call__(self, value: Any) -> Any:
        refuse(self.parse, value)
        return value


def refuse(parse: Callable[..., Any], *args: Any, field: str | None = None) -> None:
    """Run a parser that raises InvalidRequest; its refusal as a ValidationError of `field`
    (of the field being checked when None), for a validator or a schema-wide rule."""
    try:
        parse(*args)
    except InvalidRequest as exc:
        refusal = ValidationError([exc], field) if field else ValidationError([exc])
        raise refusal from None


def missing_text(key: str) -> str:
    """What a required text field answers when it is missing or blank."""
    return f"Thiếu thông tin bắt buộc: {key}."


def text(key: str, *, required: bool = False, limit: int = 255, **kw: Any) -> fields.String:
    """A text field as the domain always read one: trimmed, `limit` characters at most, blank
    counting as missing when it is required; the messages name the key."""
    missing = missing_text(key)
    too_long = f"Trường {key} dài quá {limit} ký tự."
    rules: list[Validator] = [Predicate(lambda v: len(v.strip()) <= limit, too_long)]
    if required:
        rules.insert(0, Predicate(lambda v: bool(v.strip()), missing))
    return fields.String(
        required=required,
        allow_none=not required,
        validate=rules,
        error_messages={
            "required": missing,
            "null": missing,
            "invalid": f"Trường {key} phải là chuỗi.",
        },
        **kw,
    )


@cache
def _instance(schema: type[Schema], only: tuple[str, ...] | None) -> Schema:
    """One instance per class (and part): building one costs more than checking a body with
    it, and validate() keeps nothing between calls."""
    return schema(only=only)


def check(
    schema: type[Schema], body: dict[str, Any], only: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """`body` if it passes the schema's checks (only the fields `only` names, "applicant.phone"
    for a nested one, when given: a use case checks its body in the order it always did); else
    InvalidRequest (422) for the first failing field in the order the schema declares them
    (schema-wide rules first when the schema says so with FIRST = ("_schema",)), with that
    field's message, `field` and details."""
    instance = _instance(schema, only)
    errors = instance.validate(body)
    if not errors:
        return body
    raise _refusal(instance, errors, None, None)


def _refusal(
    instance: Schema, errors: dict[str, Any], outer: str | None, outer_field: Any
) -> InvalidRequest:
    order = [*getattr(instance, "FIRST", ()), *instance.fields, "_schema"]
    name = next(n for n in order if n in errors)
    found = errors[name]
    field = instance.fields.get(name)
    if isinstance(found, dict) and isinstance(field, fields.Nested):
        return _refusal(field.schema, found, name, field)  # the nested object's own refusal
    if isinstance(found, list):  # a Rule's refusal before the field's own words (a missing value)
        found = next((m for m in found if isinstance(m, InvalidRequest)), found[0])
    if isinstance(found, InvalidRequest):
        return found  # as its parser made it
    message = str(found)
    if field is None:  # a schema-wide rule: of the object itself, or of the field holding it
        name, field = outer or name, outer_field
    if field is None:
        return InvalidRequest(message)
    return InvalidRequest(message, field=name, **field.metadata.get("details", {}).get(message, {}))
