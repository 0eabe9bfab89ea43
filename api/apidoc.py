"""The routes part of docs/api.md, written from the OpenAPI document (so from the schemas).

    .venv/bin/python -m api.apidoc          # rewrite the generated part of docs/api.md
    .venv/bin/python -m api.apidoc --check  # exit 1 if docs/api.md is not what it would write

tests/integration/test_openapi.py checks that docs/api.md is up to date and names every route.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from api.openapi import openapi_document

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BEGIN = "<!-- routes: written by `python -m api.apidoc` from the schemas; do not edit by hand -->"
END = "<!-- end of routes -->"
WHO = {
    "session": "staff",
    "bearer": "bearer token",
    "deviceCookie": "device cookie",
}


def _schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _schema(doc, doc["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _kind(doc: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _schema(doc, schema)
    if "enum" in schema:
        return " or ".join("null" if v is None else f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    if "anyOf" in schema:
        kinds = [_kind(doc, s) for s in schema["anyOf"]]
    return " or ".join(str(k) for k in kinds)


def _fields(doc: dict[str, Any], schema: dict[str, Any]) -> str:
    """`name` (type), `optional`? (type), … of an object's top-level fields."""
    schema = _schema(doc, schema)
    required = set(schema.get("required", []))
    parts = []
    for name, field in schema.get("properties", {}).items():
        mark = "" if name in required else "?"
        parts.append(f"`{name}`{mark} ({_kind(doc, field)})")
    for rule in schema.get("oneOf", []):
        parts.append("exactly one of " + ", ".join(f"`{n}`" for n in rule.get("required", [])))
    return ", ".join(parts) or _kind(doc, schema)


def _who(op: dict[str, Any]) -> str:
    security = op.get("security")
    if not security:
        return "public"
    return " or ".join(WHO[name] for item in security for name in item)


def _operation(doc: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", f"{op.get('summary', '')} ({_who(op)})."]
    if op.get("description"):
        lines += ["", op["description"]]
    lines.append("")
    params = [p for p in op.get("parameters", []) if p["in"] in ("query", "header")]
    if params:
        named = ", ".join(f"`{p['name']}` ({p['in']})" for p in params)
        lines.append(f"- Parameters: {named}")
    body = op.get("requestBody")
    if body:
        for media, content in body["content"].items():
            need = "required" if body.get("required") else "optional"
            lines.append(f"- Body ({media}, {need}): {_fields(doc, content['schema'])}")
    for status, answer in op["responses"].items():
        content = answer.get("content", {}).get("application/json")
        if content and content["schema"].get("$ref", "").endswith("/Error"):
            continue
        shape = f": {_fields(doc, content['schema'])}" if content else ""
        lines.append(f"- {status} {answer['description']}{shape}")
    errors = [s for s, a in op["responses"].items() if "/Error" in str(a.get("content", ""))]
    if errors:
        lines.append(f"- Errors ({{error, message}}): {', '.join(errors)}")
    return [*lines, ""]


def routes_markdown(doc: dict[str, Any] | None = None) -> str:
    doc = doc or openapi_document()
    lines = [BEGIN, ""]
    for path, operations in sorted(doc["paths"].items()):
        for method, op in operations.items():
            lines += _operation(doc, method, path, op)
    return "\n".join([*lines, END])


def rewritten(text: str) -> str:
    """docs/api.md's text with its generated part written afresh."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + routes_markdown() + tail


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    fresh = rewritten(text)
    if "--check" in argv:
        return 0 if fresh == text else 1
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
