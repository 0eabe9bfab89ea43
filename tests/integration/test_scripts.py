"""./run and ./test on a machine as the office's IT person finds it, with a stand-in Python.

The scripts are copied into a temporary folder with a fake `python3` (a shell script): the real
.venv (shared, a symlink) is never touched, and nothing is installed or served."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A Python whose venv works: `-m venv DIR` makes DIR/bin/python (this script again) and a pip
# that records its arguments; every call is appended to $FAKE_LOG; `-m pytest` exits $FAKE_RC.
WORKING_PYTHON = """#!/bin/sh
echo "python $*" >> "$FAKE_LOG"
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  printf '#!/bin/sh\\necho "pip $*" >> "$FAKE_LOG"\\n' > "$3/bin/pip"
  chmod +x "$3/bin/pip"
fi
if [ "$1" = -m ] && [ "$2" = pytest ]; then exit "${FAKE_RC:-0}"; fi
exit 0
"""

# Debian's python3 without python3-venv: no ensurepip; `-m venv` leaves a .venv without pip.
NO_ENSUREPIP = """#!/bin/sh
echo "python $*" >> "$FAKE_LOG"
case "$*" in
  *ensurepip*) echo "ModuleNotFoundError: No module named 'ensurepip'" >&2; exit 1 ;;
esac
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin"; cp "$0" "$3/bin/python"
  echo "The virtual environment was not created successfully because ensurepip is not" >&2
  echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv" >&2
  exit 1
fi
exit 0
"""


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The scripts and what they read, without the real .venv."""
    root = tmp_path / "lobby"
    (root / "tools").mkdir(parents=True)
    for name in ("run", "test", "requirements.txt", "requirements-dev.txt", "tools/venv.sh"):
        shutil.copy2(REPO / name, root / name)
    return root


def _script(
    checkout: Path, python: str, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    fake = _executable(checkout.parent / "python3", python)
    log = checkout.parent / "calls.log"
    log.write_text("")
    done = subprocess.run(
        [str(checkout / args[0]), *args[1:]],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(checkout.parent),
            "PYTHON": str(fake),
            "FAKE_LOG": str(log),
            "LOBBY_TEST_POSTGRES_URL": "x",  # not looked for: the script's own steps only
            "LOBBY_TEST_REDIS_URL": "x",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, log.read_text()


def test_without_ensurepip_run_says_the_apt_command_and_stops(checkout: Path) -> None:
    done, calls = _script(checkout, NO_ENSUREPIP, "run")
    assert done.returncode == 1
    assert "sudo apt-get install python3-venv" in done.stderr
    assert "No such file" not in done.stdout + done.stderr
    assert "server.py" not in calls  # never started
    assert not (checkout / ".venv").exists()  # no half-made .venv left for the next try


def test_a_half_made_venv_without_pip_is_made_again(checkout: Path) -> None:
    (checkout / ".venv" / "bin").mkdir(parents=True)  # e.g. left by a first try without ensurepip
    os.symlink(sys.executable, checkout / ".venv" / "bin" / "python")
    done, calls = _script(checkout, WORKING_PYTHON, "run")
    assert done.returncode == 0, done.stderr
    assert "thiếu pip" in done.stdout and "No such file" not in done.stderr
    assert "-m venv .venv" in calls
    assert "pip install --quiet -r requirements.txt" in calls
    assert calls.strip().splitlines()[-1] == "python server.py"  # then it serves
    # Said what it did, in order: installing (first run, ~30 s), installed, starting.
    out = done.stdout
    assert (
        out.index("lần đầu, khoảng 30 giây")
        < out.index("Đã cài đặt xong")
        < out.index("khởi động máy chủ")
    )
    # The second start installs nothing and says nothing about it.
    again, calls = _script(checkout, WORKING_PYTHON, "run")
    assert again.returncode == 0 and "pip" not in calls and "cài đặt" not in again.stdout


def test_test_quick_runs_the_fast_part_and_keeps_pytests_arguments_and_exit_code(
    checkout: Path,
) -> None:
    done, calls = _script(
        checkout, WORKING_PYTHON, "test", "--quick", "-q", "-p", "no:cacheprovider", FAKE_RC="1"
    )
    assert done.returncode == 1  # pytest's own exit code
    run = calls.strip().splitlines()[-1]
    assert run == "python -m pytest -n 2 --dist worksteal --ignore=tests/e2e -q -p no:cacheprovider"
    done, calls = _script(checkout, WORKING_PYTHON, "test", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0
    last = calls.strip().splitlines()[-1]
    assert last == "python -m pytest -n 2 --dist worksteal -q -p no:cacheprovider"
    # One process when asked (to follow a failure with -x or pdb).
    done, calls = _script(checkout, WORKING_PYTHON, "test", "-q", LOBBY_TEST_WORKERS="0")
    assert done.returncode == 0
    assert calls.strip().splitlines()[-1] == "python -m pytest -q"


def test_test_says_how_to_install_chromium_when_it_is_missing(
    checkout: Path, tmp_path: Path
) -> None:
    done, _ = _script(checkout, WORKING_PYTHON, "test", LOBBY_CHROMIUM=str(tmp_path / "none"))
    assert done.returncode == 0 and "sudo apt-get install chromium" in done.stdout
    done, _ = _script(checkout, WORKING_PYTHON, "test", LOBBY_CHROMIUM=sys.executable)
    assert "apt-get install chromium" not in done.stdout


def test_the_fast_tests_are_collected_before_the_real_server_and_browser_ones() -> None:
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/e2e/test_board_browser.py",
            "tests/unit/test_clock.py",
            "tests/integration/test_scripts.py",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.splitlines()
    ids = [line for line in listed if "::" in line]
    kinds = [line.split("/")[1] for line in ids]
    assert {"unit", "integration", "e2e"} <= set(kinds)
    assert kinds == sorted(kinds, key=lambda k: k == "e2e")  # every e2e test after the others
