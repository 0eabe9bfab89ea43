"""The picture of the imports in docs/architecture.md, drawn from the code.

    .venv/bin/python tools/import_picture.py          rewrite the picture in docs/architecture.md
    .venv/bin/python tools/import_picture.py --check  exit 1 if the picture is out of date

Modules are gathered into the rooms of docs/architecture.md (the kernel, each feature package,
the entry points, the surfaces); an arrow is "imports". tests/unit/test_import_rules.py keeps
the rules; this only draws what they allow.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.test_import_rules import floor_of, import_graph, module_files  # noqa: E402

DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- imports: begin -->", "<!-- imports: end -->"
ROOMS = {
    0: "core",
    1: "printers",
    2: "kernel",
}
FEATURES = (
    "lobby.queue",
    "lobby.bookings",
    "lobby.dossiers",
    "lobby.printing",
    "lobby.setup",
    "lobby.audit",
    "lobby.notify",
)
BOXES = {
    "core": "core/ (rules, stdlib only)",
    "printers": "printers/ (ESC/POS, no Flask)",
    "kernel": "lobby kernel: config, extensions, models, tx, context, events, forms, auth",
    "lobby.queue": "lobby/queue/",
    "lobby.bookings": "lobby/bookings/",
    "lobby.dossiers.lookup": "lobby/dossiers/lookup.py (a leaf)",
    "lobby.dossiers": "lobby/dossiers/",
    "lobby.printing": "lobby/printing/",
    "lobby.setup": "lobby/setup/",
    "lobby.audit.log": "lobby/audit/log.py, models.py (what is recorded: a leaf)",
    "lobby.audit": "lobby/audit/ (the audit view)",
    "lobby.notify": "lobby/notify/",
    "services": "stats, webhooks, backup, retention, housekeeping, simulate, reception",
    "entries": "lobby entries: sockets, web, cli, startup",
    "surfaces": "surfaces: api, kiosk, display, counter, phone, tablet, admin",
    "root": "lobby.app: create_app(), server.py",
}


def room(module: str) -> str:
    floor = floor_of(module)
    if floor in ROOMS:
        return ROOMS[floor]
    if module == "lobby.dossiers.lookup":
        return module
    if module in ("lobby.audit.log", "lobby.audit.models"):
        return "lobby.audit.log"
    if floor == 3:
        return next((f for f in FEATURES if module.startswith(f)), "services")
    if floor == 4:
        return "entries" if module.startswith("lobby") else "surfaces"
    return "root"


def picture() -> str:
    graph = import_graph(module_files())
    edges = sorted(
        {(room(m), room(t)) for m, targets in graph.items() for t in targets if room(m) != room(t)}
    )
    ident = {name: name.replace("lobby.", "").replace(".", "_") for name in BOXES}
    edges = [(a, b) for a, b in edges if a in BOXES and b in BOXES]
    lines = ["```mermaid", "flowchart BT"]
    lines += [f'    {ident[name]}["{label}"]' for name, label in BOXES.items()]
    lines += [f"    {ident[a]} --> {ident[b]}" for a, b in edges]
    lines.append("```")
    return "\n".join(lines)


def main(check: bool) -> int:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = f"{head}{BEGIN}\n{picture()}\n{END}{tail}"
    if check:
        if new != text:
            print(
                "docs/architecture.md: the picture of the imports is out of date;", file=sys.stderr
            )
            print("run .venv/bin/python tools/import_picture.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
