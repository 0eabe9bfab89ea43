"""What the office's one IT person meets first: the server's start, its settings, its devices."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lobby.extensions import db
from lobby.models import Device

REPO = Path(__file__).resolve().parents[2]
# The code that runs in an office (tests and benchmarks have their own variables).
SHIPPED = ["server.py", "lobby", "api", "core", "printers", "kiosk", "display", "counter"]
SHIPPED += ["phone", "admin", "tablet"]
# Read only by the test suite and the benchmarks: the README's developers' table.
TEST_ONLY = re.compile(r"^LOBBY_(TEST|BENCH)_|^LOBBY_(CHROMIUM|SCREENSHOTS)$")


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in SHIPPED:
        path = REPO / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ`."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _reads_environment(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "get" and _is_environ(f.value)) or (
        isinstance(f, ast.Attribute) and f.attr == "getenv"
    )


def _variables_read(tree: ast.Module) -> set[str]:
    """Every name the module reads from the environment: literally (`os.environ.get("X")`,
    `os.environ["X"]`, a constant `X_ENV = "X"`), or through a helper that passes one of its
    parameters to os.environ (`_flag("X", "0")`, `_setting(app, "X", 30)`)."""
    constants = {
        t.id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
        for t in n.targets
        if isinstance(t, ast.Name) and isinstance(n.value.value, str)
    }

    def text(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    helpers: dict[str, int] = {}  # helper name -> position of the parameter it looks up
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        params = [a.arg for a in fn.args.args]
        for call in ast.walk(fn):
            if isinstance(call, ast.Call) and _reads_environment(call) and call.args:
                arg = call.args[0]
                if isinstance(arg, ast.Name) and arg.id in params:
                    helpers[fn.name] = params.index(arg.id)
    names: set[str] = set()
    for node in ast.walk(tree):
        found = None
        if isinstance(node, ast.Call) and _reads_environment(node) and node.args:
            found = text(node.args[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = helpers.get(node.func.id)
            if position is not None and len(node.args) > position:
                found = text(node.args[position])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            found = text(node.slice)
        if found and re.fullmatch(r"[A-Z][A-Z0-9_]+", found):
            names.add(found)
    return names


def _in_code() -> set[str]:
    names: set[str] = set()
    for path in _python_files():
        names |= _variables_read(ast.parse(path.read_text("utf-8")))
    for script in ("run", "test", "tools/venv.sh"):  # the scripts' own settings (${NAME:-...})
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", (REPO / script).read_text("utf-8")))
    return names


def _in_readme() -> set[str]:
    """Names in the first column of the README's tables (`NAME`, `OTHER` | default | meaning)."""
    names: set[str] = set()
    for line in (REPO / "README.md").read_text("utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first))
    return names


def test_the_scan_finds_variables_read_every_way_the_code_reads_them() -> None:
    """The guard below is only as good as this scan: each form the code uses is recognised."""
    found = _in_code()
    # os.environ.get(...), a helper (_flag / _days in lobby.config, _setting in lobby.printing),
    # a module constant (printers.agent), os.environ[...], and the ./run and ./test scripts.
    for name in ("LOBBY_ACCESS_LOG", "LOBBY_OPEN_ALWAYS", "LOBBY_PRINT_RETENTION_DAYS"):
        assert name in found
    for name in ("LOBBY_PRINT_RETRY_MAX", "LOBBY_AGENT_TOKEN", "SECRET_KEY", "PYTHON"):
        assert name in found


def test_every_environment_variable_the_code_reads_is_in_the_readme() -> None:
    missing = sorted(name for name in _in_code() - _in_readme() if not TEST_ONLY.match(name))
    assert not missing, f"environment variables read by the code but not in README.md: {missing}"


def test_every_test_only_variable_is_in_the_readmes_developers_table() -> None:
    names: set[str] = set()
    for path in sorted((REPO / "tests").rglob("*.py")) + sorted((REPO / "bench").rglob("*.py")):
        names |= _variables_read(ast.parse(path.read_text("utf-8")))
    wanted = {n for n in names if TEST_ONLY.match(n)}
    assert wanted, "the scan finds the tests' own variables"
    missing = sorted(wanted - _in_readme())
    assert not missing, f"test-only variables not in README.md: {missing}"


def test_flask_run_refuses_and_points_to_the_real_server(tmp_path: Path) -> None:
    """`flask --app server run` would serve without gevent and the background jobs."""
    env = {**os.environ, "LOBBY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "run", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "python server.py" in done.stderr and "./run" in done.stderr
    assert "Running on" not in done.stdout + done.stderr  # it never served
    # The rest of the command line still works.
    routes = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "routes"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert routes.returncode == 0 and "/kiosk" in routes.stdout


def _start(app: Any, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """What the operator reads when `python server.py` starts (before it serves)."""
    from lobby.startup import prepare, say_listening

    prepare(app)
    say_listening(app)
    out = capsys.readouterr()
    return out.out, out.err


def test_every_start_says_where_the_demo_passwords_are_and_warns_while_the_lan_can_use_them(
    db_url: str, tmp_path: Path, clock: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import build_app

    app = build_app(db_url, tmp_path, clock, HOST="0.0.0.0", PORT=5000, LOBBY_DEMO="1")
    credentials = tmp_path / "demo-credentials.json"
    out, err = _start(app, capsys)  # the first start loads the demo and prints the passwords
    admin_password = json.loads(credentials.read_text("utf-8"))["users"][0]["password"]
    assert admin_password in out and str(credentials) in out
    assert "CẢNH BÁO" in err and "admin" in err and "HOST=127.0.0.1" in err
    assert out.strip().splitlines()[-1].startswith("Máy chủ đang nghe tại http://")

    out, err = _start(app, capsys)  # every later start: where they are, not the passwords again
    assert str(credentials) in out and "/admin/staff" in out
    assert admin_password not in out + err
    assert "CẢNH BÁO" in err and "canbo1" in err

    # The administrator changes the demo passwords (here: resets them): no more warning.
    from lobby.models import StaffUser
    from lobby.setup import accounts

    with app.app_context():
        for user in db.session.scalars(select(StaffUser)):
            accounts.reset_password(user.id)
        db.session.remove()
    out, err = _start(app, capsys)
    assert str(credentials) in out and "CẢNH BÁO" not in err


def test_no_lan_warning_when_the_server_listens_on_this_machine_only(
    db_url: str, tmp_path: Path, clock: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import build_app

    app = build_app(db_url, tmp_path, clock, HOST="127.0.0.1", PORT=5000, LOBBY_DEMO="1")
    out, err = _start(app, capsys)
    assert "demo-credentials.json" in out and "CẢNH BÁO" not in err
    assert "http://127.0.0.1:5000" in out


def test_which_addresses_other_machines_can_reach() -> None:
    from lobby.startup import reachable_from_lan

    for host in ("0.0.0.0", "", "::", "192.168.1.20", "lobby.local"):
        assert reachable_from_lan(host), host
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.1.1"):
        assert not reachable_from_lan(host), host


DEVICE_PAGES = {"kiosk": "/kiosk", "board": "/display", "tablet": "/rate"}


@pytest.mark.parametrize("kind", sorted(DEVICE_PAGES))
def test_unpaired_kiosk_board_and_tablet_answer_alike_and_say_how_to_pair(
    app: Any, kind: str
) -> None:
    from tests.integration.helpers import device_token

    path = DEVICE_PAGES[kind]
    other = "board" if kind != "board" else "kiosk"
    answers = {
        "nobody": app.test_client().get(path),
        "a mistyped token": app.test_client().get(
            path, headers={"Authorization": "Bearer dv_not-a-token"}
        ),
        "another kind of device": app.test_client().get(
            path, headers={"Authorization": f"Bearer {device_token(app, other)}"}
        ),
    }
    for who, r in answers.items():
        page = r.get_data(as_text=True)
        assert r.status_code == 403, who
        assert "<h1>Thiết bị chưa được ghép nối</h1>" in page, who
        assert "/admin/staff" in page and "Ghép nối lại" in page, who  # from the admin page
        assert f"flask --app server devices create {kind}" in page, who  # or the command line
    assert "cho một việc khác" in answers["another kind of device"].get_data(as_text=True)
    paired = app.test_client()
    paired.get(f"/pair/{device_token(app, kind)}")
    assert paired.get(path).status_code == 200


def test_a_pairing_link_pairs_one_device_then_stops_until_it_is_paired_again(app: Any) -> None:
    from tests.integration.helpers import Staff, device_token

    token = device_token(app, "kiosk")
    first = app.test_client()
    assert first.get(f"/pair/{token}").status_code == 302
    assert first.get("/kiosk").status_code == 200
    assert first.get(f"/pair/{token}").status_code == 302  # the same kiosk opening it again

    second = app.test_client()  # someone else with the link (a photo of the screen, a second PC)
    refused = second.get(f"/pair/{token}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 410 and "lobby_device" not in refused.headers.get(
        "Set-Cookie", ""
    )
    assert "Ghép nối lại" in page and "/admin/staff" in page
    assert second.get("/kiosk").status_code == 403

    # The administrator pairs it again on /admin/staff: the new link works once, the old is dead.
    admin = Staff(app, "admin")
    with app.app_context():
        kiosk_id = next(d.id for d in db.session.scalars(select(Device)) if d.kind == "kiosk")
        db.session.remove()
    page = admin.client.post(
        "/admin/staff",
        data={"csrf_token": admin.csrf, "action": "device_pair", "id": str(kiosk_id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    fresh = re.search(r"/pair/(dv_[A-Za-z0-9_-]+)", page)
    assert fresh, "the page shows the new pairing link"
    assert second.get(f"/pair/{fresh.group(1)}").status_code == 302
    assert second.get("/kiosk").status_code == 200
    assert first.get("/kiosk").status_code == 403  # the old token stopped with the new pairing
    assert app.test_client().get(f"/pair/{fresh.group(1)}").status_code == 410
    assert app.test_client().get(f"/pair/{token}").status_code == 404
