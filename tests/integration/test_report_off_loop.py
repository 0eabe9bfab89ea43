"""The report and a sign-in's password check never hold the event loop (lobby/stats.py,
lobby/auth.py, lobby/offloop.py): in a gevent process, a greenlet keeps running while a report
is being counted, while its workbook is written, and while a password is checked. Shown without timing: the report waits (in its thread) for a flag only that greenlet
can raise; were the report on the loop, the greenlet could never run and the wait would end
empty-handed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
from gevent import monkey

monkey.patch_all()

import json
import sys
from datetime import date

import gevent

sys.path.insert(0, sys.argv[1])
from pathlib import Path

from tests.conftest import build_app

app = build_app(sys.argv[2], Path(sys.argv[3]))
from lobby.stats import exports, report
from lobby.extensions import db
from lobby.setup.demo import load_demo

real_lock = monkey.get_original("_thread", "allocate_lock")
seen = {}
flags = {}


def raise_flag(name):
    # A greenlet of the loop that releases the report's lock: it runs only when the main
    # greenlet gives the loop the CPU back.
    flags[name] = real_lock()
    flags[name].acquire()
    gevent.spawn(flags[name].release)


def gated(name, real):
    def run(*args):
        seen[name] = flags[name].acquire(timeout=20)  # an OS-level wait: never yields
        return real(*args)

    return run


report._office_stats = gated("report", report._office_stats)
exports._export_xlsx = gated("xlsx", exports._export_xlsx)
from lobby import auth

auth.check_password_hash = gated("password", auth.check_password_hash)
with app.app_context():
    load_demo()
    db.session.remove()
    raise_flag("report")
    figures = report.office_stats(date(2026, 11, 1), date(2026, 11, 30))
    raise_flag("xlsx")
    book = exports.export_xlsx(figures)
    raise_flag("password")
    signed_in = auth.authenticate("canbo1", "not-the-password")
print(
    json.dumps(
        {
            **seen,
            "issued": figures["tickets"]["issued"],
            "book": book[:2].decode(),
            "signed_in": signed_in is not None,
        }
    )
)
"""


def test_a_greenlet_runs_while_the_report_is_counted_and_written_and_a_password_checked(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db = tmp_path / "lobby.sqlite3"
    shutil.copy(sqlite_template, db)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO), f"sqlite:///{db}", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "LOBBY_INSTANCE_PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {
        "report": True,
        "xlsx": True,
        "password": True,
        "issued": 0,
        "book": "PK",
        "signed_in": False,
    }
