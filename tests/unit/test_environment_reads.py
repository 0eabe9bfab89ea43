"""lobby.config is the only module of lobby/ and api/ that reads the environment: every setting
is named, defaulted and checked in one place (README's tables), and read once by create_app().

printers/ is the print agent's own package and reads its own environment; server.py reads one
setting before the lobby package may be imported (see _leave_out_unused_libraries)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("lobby", "api")
ALLOWED = {"lobby/config.py"}
# Still reading the environment themselves, until their owners call lobby.config instead
# (config.instance_path(), and the LOBBY_PRINT_* settings now in app.config). This list only
# shrinks: the test fails when one listed here no longer reads it.
NOT_YET: set[str] = set()
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """Lines that touch the process environment: `os.environ`, `os.getenv(...)`, and the same
    names imported from os (`from os import environ`)."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            reads = node.value.id == "os" and node.attr in ENVIRONMENT
        elif isinstance(node, ast.ImportFrom):
            reads = node.module == "os" and any(a.name in ENVIRONMENT for a in node.names)
        else:
            reads = False
        if reads:
            lines.append(node.lineno)
    return sorted(lines)


def _readers() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            lines = environment_reads(path.read_text(encoding="utf-8"))
            if lines:
                found[name] = lines
    return found


def test_only_lobby_config_reads_the_environment():
    readers = _readers()
    offenders = {n: lines for n, lines in readers.items() if n not in ALLOWED | NOT_YET}
    assert offenders == {}, "read the setting in lobby/config.py (app.config or a function there)"
    assert sorted(NOT_YET - set(readers)) == [], (
        "no longer reads the environment: drop from NOT_YET"
    )
    assert "lobby/config.py" in readers, "the scan finds the reads of lobby.config"


def test_the_scan_finds_every_way_of_reading_the_environment():
    source = (
        "import os\n"
        "from os import environ\n"
        "a = os.environ.get('A')\n"
        "b = os.getenv('B')\n"
        "c = os.environ['C']\n"
        "d = os.path.join('x')\n"
        "def f(environ):\n"
        "    return environ\n"
    )
    assert environment_reads(source) == [2, 3, 4, 5]
