"""Ticket issuing over HTTP: POST /api/v1/tickets as the kiosk, 1, 8 and 16 concurrent clients.

Each client is a thread with its own keep-alive requests.Session; each request carries the
kiosk's Bearer token, a fresh Idempotency-Key and a random field. Afterwards every number must
be distinct within its field (checked in the responses and in the database). The same levels
run against the bare stack (bench/bare_app.py: one SQLAlchemy insert per request) for the ratio.

  .venv/bin/python bench/bench_issue.py --db sqlite
  .venv/bin/python bench/bench_issue.py --db postgres
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from collections import Counter
from typing import Any

import requests
from common import (
    BARE_ARGV,
    print_level,
    print_machine,
    raise_open_files,
    run_load,
    running_server,
    write_results,
)


def issue_levels(
    server: Any, levels: list[int], n: int, max_seconds: float, kiosk_kind: str
) -> dict[str, Any]:
    kiosk = server.kiosk_token(kiosk_kind)
    codes = [s["code"] for s in requests.get(server.url + "/api/v1/services").json()["services"]]

    def make_session(_k: int) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {kiosk}"
        return s

    def issue(s: requests.Session, _i: int) -> tuple[bool, Any]:
        r = s.post(
            server.url + "/api/v1/tickets",
            json={"service": random.choice(codes), "priority": None},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        if r.status_code != 201:
            return False, f"{r.status_code} {r.text[:200]}"
        body = r.json()
        return True, (body["service"], body["number"], body["id"])

    run_load(2, 40, make_session, issue)  # warm-up: connections, caches, first queries
    out: dict[str, Any] = {"levels": []}
    issued: list[tuple[str, str, int]] = []
    for clients in levels:
        r = run_load(clients, n, make_session, issue, max_seconds=max_seconds)
        out["levels"].append(print_level("issue /api/v1/tickets", r))
        issued += r.results

    per_field = Counter((svc, number) for svc, number, _ in issued)
    dupes = [k for k, v in per_field.items() if v > 1]
    ids = Counter(i for _, _, i in issued)
    db_check = json.loads(
        server.app_python(
            "from sqlalchemy import text\n"
            "rows = db.session.execute(text('SELECT field_id, service_day, number, COUNT(*) "
            "FROM tickets GROUP BY field_id, service_day, number HAVING COUNT(*) > 1')).all()\n"
            "total = db.session.execute(text('SELECT COUNT(*) FROM tickets')).scalar()\n"
            "import json; print(json.dumps({'dupes': len(rows), 'total': total}))\n"
        )
        .strip()
        .splitlines()[-1]
    )
    print(
        f"check: {len(issued)} tickets answered in the measured levels, "
        f"{len(dupes)} duplicate numbers in responses, {sum(v > 1 for v in ids.values())} "
        f"duplicate ids; database: {db_check['total']} tickets (incl. warm-up), "
        f"{db_check['dupes']} duplicate (field, day, number)"
    )
    out["check"] = {
        "answered": len(issued),
        "duplicate_numbers": len(dupes),
        "db_total": db_check["total"],
        "db_duplicates": db_check["dupes"],
    }
    out["ok"] = not dupes and db_check["dupes"] == 0
    return out


def bare_levels(server: Any, levels: list[int], n: int, max_seconds: float) -> dict[str, Any]:
    def insert(s: requests.Session, _i: int) -> tuple[bool, Any]:
        r = s.post(server.url + "/insert", json={"field": "ho_tich"}, timeout=30)
        return r.status_code == 201, r.status_code

    run_load(2, 40, lambda _k: requests.Session(), insert)
    out = []
    for clients in levels:
        r = run_load(clients, n, lambda _k: requests.Session(), insert, max_seconds=max_seconds)
        out.append(print_level("bare Flask+SQLAlchemy insert", r))
    return {"levels": out}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--levels", default="1,8,16", help="concurrent clients per level")
    p.add_argument("--requests", type=int, default=1500, help="requests per level")
    p.add_argument("--max-seconds", type=float, default=40.0, help="time bound per level")
    p.add_argument(
        "--kiosk",
        choices=["plain", "demo"],
        default="plain",
        help="plain: a kiosk without a printer (default); demo: the demo kiosk, which queues"
        " a print job per ticket for its memory:// printer",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the bare-stack baseline")
    args = p.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    raise_open_files()
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    print(f"# database: {args.db}; {args.requests} requests per level; kiosk: {args.kiosk}")
    results: dict[str, Any] = {
        "db": args.db,
        "requests": args.requests,
        "kiosk": args.kiosk,
    }
    with running_server(args.db) as server:
        results["lobby"] = issue_levels(server, levels, args.requests, args.max_seconds, args.kiosk)
    if not args.no_baseline:
        with running_server(args.db, argv=BARE_ARGV) as bare:
            results["bare"] = bare_levels(bare, levels, args.requests, args.max_seconds)
        for mine, base in zip(results["lobby"]["levels"], results["bare"]["levels"], strict=True):
            print(
                f"ratio at {mine['clients']:>2} clients: lobby/bare throughput "
                f"{mine['rate'] / base['rate']:.2f}, p50 {mine['p50'] / base['p50']:.1f}x"
            )
    name = f"issue-{args.db}" + ("-demo-kiosk" if args.kiosk == "demo" else "")
    print(f"# raw figures: {write_results(name, results)}")
    return 0 if results["lobby"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
