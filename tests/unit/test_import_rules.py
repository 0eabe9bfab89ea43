"""The floors of the code, checked on every run (docs/architecture.md).

The import graph is read from the source with `ast`, imports inside functions included, so a
cycle cannot hide behind a late import. Each rule has a small self-test on a made-up tree, so a
broken checker cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "core",
    "lobby",
    "api",
    "printers",
    "kiosk",
    "display",
    "counter",
    "admin",
    "phone",
    "tablet",
)
SURFACES = ("kiosk", "display", "counter", "admin", "phone", "tablet", "api")

# Import cycles allowed: none. (This was the shrinking baseline of the floors' restructuring,
# issue 12; it ended empty. A cycle found that is not listed here fails the test.)
ALLOWED_CYCLES: list[set[str]] = []


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    server = root / "server.py"
    if server.exists() and root == ROOT:
        found["server"] = server
    return found


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name lives in (`lobby.models.Ticket` -> `lobby.models`)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> first-party modules it imports, anywhere in the file."""
    tops = {m.split(".")[0] for m in modules}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                # `from pkg import sub` imports the module pkg.sub when there is one, else pkg.
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for target in targets:
                if target.split(".")[0] in tops:
                    owner = _owner(target, modules)
                    if owner and owner != name:
                        graph[name].add(owner)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(module_files())


def _show(sets: list[set[str]]) -> list[list[str]]:
    return sorted(sorted(s) for s in sets)


def test_no_import_cycle_beyond_the_shrinking_baseline(graph):
    found = _show(cycles(graph))
    assert [c for c in found if c not in _show(ALLOWED_CYCLES)] == [], "a new import cycle"
    assert [c for c in _show(ALLOWED_CYCLES) if c not in found] == [], (
        "a cycle of the baseline is gone or smaller: shrink ALLOWED_CYCLES to what is found"
    )


def test_printers_never_import_flask_or_the_lobby():
    offenders = []
    for name, path in module_files().items():
        if not name.startswith("printers"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                tops = [(node.module or "").split(".")[0]]
            else:
                continue
            offenders += [
                f"{name}: {t}" for t in tops if t in {"flask", "flask_socketio", "lobby", "api"}
            ]
    assert offenders == []


def test_surfaces_never_import_each_other(graph):
    offenders = [
        f"{m} -> {t}"
        for m, targets in graph.items()
        for t in targets
        if m.split(".")[0] in SURFACES
        and t.split(".")[0] in SURFACES
        and t.split(".")[0] != m.split(".")[0]
    ]
    assert offenders == []


def test_the_checker_finds_a_cycle_made_by_an_import_inside_a_function(tmp_path):
    pkg = tmp_path / "lobby"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from lobby.b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from lobby import c\n")
    (pkg / "c.py").write_text("import lobby.a\n")
    (pkg / "d.py").write_text("from lobby.a import thing\n")
    graph = import_graph(module_files(tmp_path, ("lobby",)))
    assert graph["lobby.a"] == {"lobby.b"}
    assert graph["lobby.b"] == {"lobby.c"}
    assert _show(cycles(graph)) == [["lobby.a", "lobby.b", "lobby.c"]]


# The floors, bottom up. A module imports only modules of its own floor or below; a module no
# floor names fails the test (place it). The longest matching prefix decides.
FLOORS: dict[str, int] = {
    "core": 0,
    "printers": 1,
    # the kernel: configuration, extensions, models, transactions, context and its ports, events
    **dict.fromkeys(
        (
            "lobby.config",
            "lobby.extensions",
            "lobby.models",
            "lobby.tx",
            "lobby.refcache",
            "lobby.crypto",
            "lobby.events",
            "lobby.context",
            "lobby.forms",
            "lobby.errors",
            "lobby.auth",
            "lobby.ratelimit",
            "lobby.security",
            "lobby.workcal",
            "lobby.offloop",
            "lobby.qr",
            "lobby.announce",
            "lobby.assets",
        ),
        2,
    ),
    # features: use cases and read models
    **dict.fromkeys(
        (
            "lobby.queue",
            "lobby.bookings",
            "lobby.dossiers",
            "lobby.printing",
            "lobby.setup",
            "lobby.feedback",
            "lobby.audit",
            "lobby.notify",
            "lobby.stats",
            "lobby.webhooks",
            "lobby.backup",
            "lobby.retention",
            "lobby.housekeeping",
            "lobby.simulate",
            "lobby.reception",
        ),
        3,
    ),
    # entry points of the lobby and the surfaces
    **dict.fromkeys(("lobby.sockets", "lobby.web", "lobby.cli", "lobby.startup"), 4),
    **dict.fromkeys(SURFACES, 4),
    # the composition root: create_app() and the server
    **dict.fromkeys(("lobby", "lobby.app", "server"), 5),
}
FEATURE_PACKAGES = (
    "lobby.queue",
    "lobby.dossiers",
    "lobby.printing",
    "lobby.setup",
    "lobby.feedback",
    "lobby.audit",
    "lobby.bookings",
    "lobby.notify",
    "lobby.reception",
    "lobby.stats",
)


def floor_of(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix == "lobby" and module != "lobby":
            return None  # the package itself sits at the top; its modules are placed one by one
        floor = FLOORS.get(prefix)
        if floor is not None:
            return floor
    return None


def floor_breaches(graph: dict[str, set[str]]) -> list[str]:
    found = [f"{m}: on no floor" for m in graph if floor_of(m) is None]
    for m, targets in graph.items():
        for t in targets:
            low, high = floor_of(m), floor_of(t)
            if low is not None and high is not None and high > low:
                found.append(f"{m} (floor {low}) imports {t} (floor {high})")
    return sorted(found)


def test_every_module_imports_only_its_own_floor_or_below(graph):
    assert floor_breaches(graph) == []


def test_the_floor_check_would_catch_a_kernel_module_importing_a_feature():
    graph = {"lobby.context": {"lobby.queue.views"}, "lobby.queue.views": {"lobby.context"}}
    assert floor_breaches(graph) == ["lobby.context (floor 2) imports lobby.queue.views (floor 3)"]
    assert floor_breaches({"lobby.newthing": set()}) == ["lobby.newthing: on no floor"]


def test_feature_packages_import_nothing_on_their_own():
    """Importing lobby.queue.x runs lobby/queue/__init__.py first: a package that re-exports its
    modules would import half the lobby (and make cycles at run time the graph cannot see)."""
    busy = []
    for package in (*FEATURE_PACKAGES, "api", "admin"):
        path = ROOT / package.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body):
            busy.append(package)
    assert busy == []


def test_features_reach_the_printer_only_through_the_print_queue_port(graph):
    """Only the composition root makes the Printing service; the print agent's own entries (its
    HTTP routes and its socket room) speak the agent protocol. Everyone else calls
    ctx().printing (lobby.context.PrintQueue)."""
    allowed = {"lobby.app", "api.print_agent", "lobby.sockets"}
    reaching = sorted(
        m
        for m, targets in graph.items()
        if not m.startswith("lobby.printing")
        and any(t.startswith("lobby.printing") for t in targets)
    )
    assert [m for m in reaching if m not in allowed] == []


def test_the_picture_of_the_imports_in_the_docs_is_drawn_from_the_code():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "import_picture", ROOT / "tools/import_picture.py"
    )
    assert spec is not None and spec.loader is not None
    picture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(picture)
    assert picture.main(check=True) == 0, "run: .venv/bin/python tools/import_picture.py"


# Surfaces (views, admin pages, API routes) call use cases and read-model functions of lobby/,
# never the database: no `lobby.models` (not even under TYPE_CHECKING: type with Any) and no
# `lobby.extensions.db` (`csrf` and the other extensions are fine). The one exception is the
# API's idempotency storage (api/idempotency.py): its own table, read and written inside the
# request's transaction around the route.
DATABASE_EXCEPTIONS = {"api.idempotency"}


def database_imports(modules: dict[str, Path]) -> dict[str, list[str]]:
    """surface module -> what it imports that reaches the database, anywhere in the file."""
    graph = import_graph(modules)
    found: dict[str, list[str]] = {}
    for name, path in modules.items():
        if name.split(".")[0] not in SURFACES:
            continue
        hits = {"lobby.models"} & graph[name]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                hits |= {a.name for a in node.names if a.name == "lobby.extensions"}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = {a.name for a in node.names}
                if node.module == "lobby.extensions" and names & {"db", "*"}:
                    hits.add("lobby.extensions.db")
                elif node.module == "lobby" and "extensions" in names:
                    hits.add("lobby.extensions")
        if hits:
            found[name] = sorted(hits)
    return found


def test_views_never_touch_the_database():
    found = database_imports(module_files())
    assert {m: what for m, what in found.items() if m not in DATABASE_EXCEPTIONS} == {}
    assert set(found) >= DATABASE_EXCEPTIONS, "an exception no longer needed: remove it"


def test_the_checker_finds_a_view_that_touches_the_database(tmp_path):
    files = {
        "lobby/__init__.py": "",
        "lobby/models.py": "",
        "lobby/extensions.py": "",
        "lobby/reads.py": "from lobby.extensions import db\nfrom lobby.models import Ticket\n",
        "counter/__init__.py": "",
        "counter/views.py": "from lobby.extensions import csrf\nfrom lobby import reads\n",
        "counter/typed.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from lobby.models import Ticket\n"
        ),
        "counter/late.py": "def page():\n    from lobby.extensions import babel, db\n",
        "counter/whole.py": "from lobby import extensions, models\n",
        "counter/dotted.py": "import lobby.extensions\n",
        "api/__init__.py": "",
        "api/idempotency.py": "from lobby.models import IdempotencyRecord\n",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(exist_ok=True)
        (tmp_path / relative).write_text(text)
    found = database_imports(module_files(tmp_path, ("lobby", "counter", "api")))
    assert found == {
        "counter.typed": ["lobby.models"],
        "counter.late": ["lobby.extensions.db"],
        "counter.whole": ["lobby.extensions", "lobby.models"],
        "counter.dotted": ["lobby.extensions"],
        "api.idempotency": ["lobby.models"],
    }
