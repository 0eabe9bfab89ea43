#!/usr/bin/env bash
# Run every benchmark on SQLite and PostgreSQL (fan-out on SQLite), one after the other.
# Output: bench/results/<name>.txt (what was printed) and <name>.json (raw figures).
# About 15-20 minutes on a 2-core machine. Usage: bash bench/run_all.sh
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p bench/results
run() {
    local name=$1
    shift
    echo "== $name: $*"
    "$PY" "$@" 2>&1 | tee "bench/results/$name.txt"
}
for db in sqlite postgres; do
    run "issue-$db" bench/bench_issue.py --db "$db"
    run "call-next-$db" bench/bench_call_next.py --db "$db"
done
run issue-sqlite-demo-kiosk bench/bench_issue.py --db sqlite --kiosk demo --no-baseline
run fanout-sqlite bench/bench_fanout.py --db sqlite
