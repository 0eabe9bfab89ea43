import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def imported_top_level_names(path: Path) -> list[tuple[int, str]]:
    """Top-level module names a file imports (relative imports count as `core`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append((node.lineno, "core"))
            else:
                names.append((node.lineno, (node.module or "").split(".")[0]))
    return names


def test_core_exists_and_has_modules():
    files = list(CORE.rglob("*.py"))
    assert CORE / "__init__.py" in files
    assert len(files) > 1


def test_core_imports_only_the_standard_library_and_core():
    offenders = [
        f"{path.relative_to(CORE.parent)}:{line}: {name}"
        for path in sorted(CORE.rglob("*.py"))
        for line, name in imported_top_level_names(path)
        if name != "core" and name not in sys.stdlib_module_names
    ]
    assert offenders == []


def test_the_import_check_would_catch_a_third_party_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom sqlalchemy.orm import Session\nfrom . import clock\n")
    names = [name for _, name in imported_top_level_names(bad)]
    assert names == ["flask", "sqlalchemy", "core"]
    assert [n for n in names if n != "core" and n not in sys.stdlib_module_names] == [
        "flask",
        "sqlalchemy",
    ]
