"""The screens' JavaScript shares one module, lobby/static/js/live.js (served at /static/js/live.js):
no screen defines its own `$`, `fmt`, `newKey`, `sleep` or server clock, nor opens Socket.IO itself.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "lobby" / "static" / "js" / "live.js"
SCREEN_DIRS = ("kiosk", "display", "counter", "phone", "tablet", "admin", "lobby/static/js")

# What only live.js may define or do.
FORBIDDEN = {
    "its own $": re.compile(r"(?:const|let|var)\s+\$\s*=|function\s+\$\s*\("),
    "its own fmt": re.compile(r"(?:const|let|var)\s+fmt\s*=|function\s+fmt\s*\("),
    "its own newKey": re.compile(r"(?:const|let|var)\s+newKey\s*=|function\s+newKey\s*\("),
    "its own sleep": re.compile(r"(?:const|let|var)\s+sleep\s*=|function\s+sleep\s*\("),
    "its own Idempotency-Key maker": re.compile(r"randomUUID|getRandomValues"),
    "its own server clock": re.compile(r"clockOffset"),
    "its own Socket.IO connection": re.compile(r"(?<![\w.])io\s*\(|window\.io\b"),
}


def screen_scripts() -> list[Path]:
    found = []
    for folder in SCREEN_DIRS:
        for path in sorted((ROOT / folder).rglob("*.js")):
            if "vendor" in path.parts or path == LIVE:
                continue
            found.append(path)
    return found


def test_there_are_screen_scripts_to_check() -> None:
    names = {p.name for p in screen_scripts()}
    assert {"kiosk.js", "board.js", "counter.js", "phone.js", "dossier.js", "rate.js"} <= names


@pytest.mark.parametrize("path", screen_scripts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_screen_uses_live_js_instead_of_its_own_copy(path: Path) -> None:
    text = path.read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    wrong = [what for what, pattern in FORBIDDEN.items() if pattern.search(code)]
    assert not wrong, f"{path.relative_to(ROOT)} has {', '.join(wrong)}: import it from live.js"


def test_live_js_exports_the_shared_helpers() -> None:
    text = LIVE.read_text("utf-8")
    for name in ("$", "el", "fmt", "sleep", "csrfToken", "newKey", "noteServerTime", "serverNow"):
        assert re.search(rf"export (?:const|function) {re.escape(name)}(?![\w$])", text), name
    assert "export function connectLive(" in text


def test_screens_load_as_modules_except_the_vendored_socket_io_and_page_js() -> None:
    """A screen script loaded as a classic script could not import live.js."""
    classic_ok = ("vendor/socket.io/socket.io.min.js", "js/page.js")
    tag = re.compile(r"<script\b([^>]*)\bsrc=\"([^\"]+)\"([^>]*)>")
    checked = 0
    for template in ROOT.glob("*/templates/**/*.html"):
        for before, src, after in tag.findall(template.read_text("utf-8")):
            attrs = before + after
            if any(name in src for name in classic_ok):
                continue
            checked += 1
            assert 'type="module"' in attrs, f"{template.relative_to(ROOT)}: {src} is not a module"
    assert checked >= 6


NODE_CHECK = """
import { fmt, newKey } from "./live.mjs";
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const out = { fmt: fmt("{n} / {total} {missing}", { n: 2, total: 5 }) };
globalThis.window = { crypto: { randomUUID: () => "from-randomUUID" } };
out.secure = newKey();
// http:// on a LAN address: no randomUUID, getRandomValues still there.
globalThis.window = { crypto: { getRandomValues: (a) => globalThis.crypto.getRandomValues(a) } };
out.insecure = [newKey(), newKey()];
globalThis.window = {};
out.none = newKey();
out.ok = uuid.test(out.insecure[0]) && uuid.test(out.none) && out.insecure[0] !== out.insecure[1];
console.log(JSON.stringify(out));
"""


def test_fmt_and_new_key_behave_under_node(tmp_path: Path) -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    shutil.copy(LIVE, tmp_path / "live.mjs")
    (tmp_path / "check.mjs").write_text(NODE_CHECK, "utf-8")
    done = subprocess.run(
        [node, "check.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["fmt"] == "2 / 5 {missing}"
    assert out["secure"] == "from-randomUUID"
    assert out["ok"], out
