"""Babel extractor for our Python: gettext calls plus the Vietnamese texts translated at run time.

babel.cfg maps every `.py` file to `extract_python` below. Besides what Babel's own Python
extractor finds (`_()`, `gettext()`, `lazy_gettext()` ...), it adds the literal texts that reach
`gettext` only as variables, so English stays complete without a hand-kept list:

- messages of domain errors: `raise NotFound("Không tìm thấy phiếu.")` (lobby/errors.py answers
  with `_(exc.message)`), and every `default_message = "..."` of an error class;
- the label tables of module level constants whose name contains `LABELS`
  (`STATUS_LABELS_VI = {TicketStatus.WAITING: "Đang chờ", ...}`), translated where shown.

f-string messages cannot be translated (their msgid changes with the data);
`python -m tools.i18n_extract` lists them.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.extract import extract_python as babel_extract_python

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = frozenset({".venv", "venv", "tests", "migrations", "node_modules", "instance"})
ROOT_ERROR = "DomainError"
RUNTIME_COMMENT = "Translated at run time (a domain error message or a label table)."


def python_sources(root: Path = REPO) -> Iterator[Path]:
    """The project's own Python files: no virtualenv, tests, migrations or hidden folders."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts[:-1]
        if any(p in SKIP_DIRS or p.startswith((".", "_")) for p in parts):
            continue
        yield path


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return None


@functools.cache
def domain_error_names(root: Path = REPO) -> frozenset[str]:
    """Names of DomainError and every class that derives from it anywhere in the project."""
    bases: dict[str, set[str]] = {}
    for path in python_sources(root):
        tree = _parse(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found = {n for n in (_name(b) for b in node.bases) if n}
                bases.setdefault(node.name, set()).update(found)
    names = {ROOT_ERROR}
    grew = True
    while grew:
        grew = False
        for cls, parents in bases.items():
            if cls not in names and parents & names:
                names.add(cls)
                grew = True
    return frozenset(names)


def _message_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "message"), None)


def _strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.strip():
            yield sub.lineno, sub.value


def _label_tables(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if not any("LABELS" in (_name(t) or "") for t in targets):
            continue
        # A dict's keys are codes ("elderly"), only its values are shown to people.
        parts = value.values if isinstance(value, ast.Dict) else [value]
        for part in parts:
            yield from _strings(part)


def runtime_messages(tree: ast.Module, errors: Collection[str]) -> Iterator[tuple[int, str]]:
    """Literal texts gettext receives only at run time: error messages and label tables."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in errors:
            arg = _message_arg(node)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                yield arg.lineno, arg.value
        elif isinstance(node, ast.ClassDef) and node.name in errors:
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and any(
                        _name(t) == "default_message"
                        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                    )
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    yield stmt.value.lineno, stmt.value.value
    yield from _label_tables(tree)


def untranslatable_messages(tree: ast.Module, errors: Collection[str]) -> list[int]:
    """Lines where a domain error gets a computed text (an f-string): it stays Vietnamese."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in errors:
            arg = _message_arg(node)
            if arg is not None and not isinstance(arg, ast.Constant):
                lines.add(node.lineno)
    return sorted(lines)


def extract_python(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's Python extraction, then the runtime texts of the same file."""
    yield from babel_extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    try:
        tree = ast.parse(fileobj.read())
    except (SyntaxError, ValueError):
        return
    for lineno, text in runtime_messages(tree, domain_error_names()):
        yield lineno, "_", text, [RUNTIME_COMMENT]


def main(argv: list[str]) -> int:
    """Print the computed error messages (they stay Vietnamese) as path:line: source."""
    errors = domain_error_names()
    for path in python_sources():
        tree = _parse(path)
        if tree is None:
            continue
        lines = path.read_text("utf-8").splitlines()
        for lineno in untranslatable_messages(tree, errors):
            print(f"{path.relative_to(REPO)}:{lineno}: {lines[lineno - 1].strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
