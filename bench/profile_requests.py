"""Statements and Python work of one issuing and one call-next cycle, in-process (Flask test
client, SQLite made by the migrations, the demo office, LOBBY_OPEN_ALWAYS).

    .venv/bin/python bench/profile_requests.py            # statement counts per request
    .venv/bin/python bench/profile_requests.py --profile  # plus cProfile's top functions
    .venv/bin/python bench/profile_requests.py --sql      # plus each statement
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import event  # noqa: E402

from tests.conftest import build_app  # noqa: E402
from tests.integration.helpers import Staff, kiosk_headers  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--profile", action="store_true")
    p.add_argument("--sql", action="store_true")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--pause", type=float, default=0.3, help="seconds after each request")
    args = p.parse_args()
    from flask_migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="lobby-prof-"))
    app = build_app(f"sqlite:///{folder / 'lobby.sqlite3'}", folder, LOBBY_OPEN_ALWAYS=True)
    with app.app_context():
        upgrade()
        from lobby.extensions import db
        from lobby.setup.demo import load_demo

        app.demo = load_demo()
        db.session.remove()
        engine = db.engine
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        where = ""
        if args.sql:
            import traceback

            frames = [
                f"{Path(f.filename).relative_to(REPO)}:{f.lineno} {f.name}"
                for f in traceback.extract_stack()
                if f.filename.startswith(str(REPO / "lobby")) or "/api/" in f.filename
            ]
            where = "\n        <- " + " <- ".join(reversed(frames[-4:]))
        bg = "" if threading.current_thread() is threading.main_thread() else "[background] "
        seen.append(bg + " ".join(statement.split())[:120] + where)

    kiosk = app.test_client()
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    for n in range(2, 6):  # the demo's other counters open too: the board shows them all
        Staff(app, f"canbo{n}").open_counter(n)

    def issue() -> Any:
        r = kiosk.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
        assert r.status_code == 201, r.get_json()
        time.sleep(args.pause)  # its background work (the boards' counts) done
        return r

    def cycle() -> dict[str, list[str]]:
        out = {}
        seen.clear()
        r = officer.post("/api/v1/counters/1/call-next")
        assert r.status_code == 200, r.get_json()
        time.sleep(args.pause)
        out["call-next"] = list(seen)
        tid = r.get_json()["ticket"]["id"]
        for name, body in (("start", {}), ("finish", {"outcome": "guided_only"})):
            seen.clear()
            r = officer.post(f"/api/v1/tickets/{tid}/{name}", json=body)
            assert r.status_code == 200, (name, r.get_json())
            time.sleep(args.pause)
            out[name] = list(seen)
        return out

    for _ in range(3):  # warm the caches
        issue()
        cycle()
    for _ in range(args.rounds):
        issue()
    seen.clear()
    issue()
    issued = list(seen)
    c = cycle()
    for name, stmts in (("issue", issued), *c.items()):
        bg = sum(s.startswith("[background]") for s in stmts)
        print(f"{name}: {len(stmts) - bg} statements in the request, {bg} in the background")
    if args.sql:
        for name, stmts in (("issue", issued), *c.items()):
            print(f"--- {name}")
            for s in stmts:
                print("   ", s)
    if args.profile:
        for what, fn in (("issue", issue), ("cycle", cycle)):
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.rounds):
                fn()
            prof.disable()
            print(f"=== {what} x{args.rounds}")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
