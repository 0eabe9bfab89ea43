"""A server that never prints does not carry the printing stack (memory per process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_app_starts_without_loading_pillow_qrcode_or_python_escpos(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        f"os.environ['LOBBY_INSTANCE_PATH'] = {str(tmp_path)!r}\n"
        "from lobby import create_app\n"
        "create_app({'LOBBY_MIGRATIONS_IN_PROCESS': False})\n"
        "print(sorted(m for m in ('PIL', 'qrcode', 'escpos', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
