"""No bare state strings outside core/ (issue 12): ticket statuses, roles, device kinds and
counter states are compared through the enums of core/, never as string literals.

Read from the source with `ast`: a comparison (==, !=, in, not in) or a `.in_(...)` whose string
literal (or tuple/list/set of literals) is one of those enum values, and whose other side is an
attribute named status, role, kind or state (`ticket.status`, `Counter.state`), a subscript with
such a key (`c["state"]`), or a plain name status, role or state. A plain name `kind` is left
out: the socket view kinds ("board", "ticket", ...) are spelled alike and are not device kinds.
The same words as JSON keys, event names, form fields or msgids are not comparisons and pass.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from core.access import CounterState, DeviceKind, Role
from core.tickets import TicketStatus

ROOT = Path(__file__).resolve().parents[2]
# bench/ holds the bare stack the benchmarks compare against: no lobby, no core, on purpose.
SKIPPED = {"core", "tests", "migrations", "bench", ".venv", "node_modules", ".git"}
STATE_VALUES = frozenset(
    e.value for enum in (TicketStatus, Role, DeviceKind, CounterState) for e in enum
)
STATE_NAMES = frozenset({"status", "role", "kind", "state"})
PLAIN_NAMES = STATE_NAMES - {"kind"}


def python_files(root: Path = ROOT) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if not SKIPPED.intersection(path.relative_to(root).parts):
            yield path


def _is_state_side(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in STATE_NAMES
    if isinstance(node, ast.Name):
        return node.id in PLAIN_NAMES
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value in STATE_NAMES
    return False


def _bare_values(node: ast.expr) -> list[str]:
    """The state strings a literal (or a tuple/list/set of literals) spells."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [
        i.value
        for i in items
        if isinstance(i, ast.Constant) and isinstance(i.value, str) and i.value in STATE_VALUES
    ]


def bare_states(source: str) -> list[tuple[int, str]]:
    """(line, literal) for each comparison of a state-named value with a bare state string."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides, sides[1:], strict=False):  # one op a pair
                if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                    continue
                for state, literal in ((left, right), (right, left)):
                    if _is_state_side(state):
                        found += [(node.lineno, v) for v in _bare_values(literal)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("in_", "not_in", "notin_")
            and _is_state_side(node.func.value)
        ):
            for arg in node.args:
                found += [(node.lineno, v) for v in _bare_values(arg)]
    return found


def test_the_checker_finds_bare_states_in_a_made_up_module() -> None:
    snippet = """
if ticket.status == "waiting": pass
if "admin" != user.role: pass
if device.kind in ("kiosk", "board"): pass
if c["state"] not in ["open"]: pass
if status == "no_show": pass
q = select(Ticket).where(Ticket.status.in_(["serving", "done"]))
q = select(Counter).where(Counter.state.notin_(("closed",)))
"""
    assert bare_states(snippet) == [
        (2, "waiting"),
        (3, "admin"),
        (4, "kiosk"),
        (4, "board"),
        (5, "open"),
        (6, "no_show"),
        (7, "serving"),
        (7, "done"),
        (8, "closed"),
    ]


def test_the_checker_leaves_enums_and_other_uses_of_the_words_alone() -> None:
    snippet = """
if ticket.status == TicketStatus.WAITING: pass
if user.role in SUPERVISORS: pass
payload = {"waiting": 3, "status": "called"}
if kind in ("board", "kiosk", "tablet"): pass
if view.kind == "ticket": pass
if event == "open": pass
if ticket.outcome == "refused": pass
publish("no_show", ticket)
"""
    assert bare_states(snippet) == []


def test_no_module_outside_core_compares_a_state_with_a_bare_string() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in python_files()
        for line, value in bare_states(path.read_text(encoding="utf-8"))
    ]
    assert found == [], (
        "use the enums of core/ (TicketStatus, Role, DeviceKind, CounterState):\n"
        + "\n".join(found)
    )
