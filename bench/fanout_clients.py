"""Socket.IO clients for bench_fanout.py: one process holds many python-socketio AsyncClients.

Runs under the clients' own interpreter (bench/README.md), started by bench_fanout.py as
  <clients python> bench/fanout_clients.py <url> <spec.json> <out.json>
spec.json: [[kind, auth], ...] with kind "board", "phone" or "bare". Talks on stdio:
  -> "READY <json>"   every client connected (or failed) and has its snapshot
  -> "GOT <n>"        n = measured receipts so far, at most every 2 ms
  <- "stop"           disconnect, write the receipts to out.json, then -> "DONE"
Receipt times are time.monotonic() (CLOCK_MONOTONIC, the same clock in every process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from typing import Any


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def main(url: str, specs: list[list[Any]], out_path: str) -> None:
    import socketio

    loop = asyncio.get_running_loop()
    records: list[list[tuple[str, Any, float]]] = [[] for _ in specs]
    snapshots: list[Any] = [None] * len(specs)
    clients: list[Any] = []
    failed: list[str] = []
    got = [0]
    keys: list[Any] = [None] * len(specs)  # each phone's line_key (from its snapshot)
    places: list[Any] = [None] * len(specs)  # each phone's place, last worked out
    sem = asyncio.Semaphore(40)

    async def connect(i: int, kind: str, auth: Any) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        rec = records[i]

        @sio.on("ticket_called")
        async def _called(data: dict[str, Any]) -> None:
            rec.append(("called", data.get("number"), time.monotonic()))
            if kind != "phone":
                got[0] += 1

        @sio.on("ticket_updated")
        async def _updated(data: dict[str, Any]) -> None:
            if kind == "phone" and not keys[i]:  # a server from before line_changed
                rec.append(("updated", data.get("ahead"), time.monotonic()))
                got[0] += 1

        @sio.on("line_changed")
        async def _line(data: dict[str, Any]) -> None:
            # As the phone page does: find its own key; count a receipt when its place changed.
            if kind != "phone" or keys[i] not in data["line"]:
                return
            at = data["line"].index(keys[i])
            ahead = data["priority"].index(at) if at in data["priority"] else at
            if ahead != places[i]:
                places[i] = ahead
                rec.append(("updated", ahead, time.monotonic()))
                got[0] += 1

        @sio.on("snapshot")
        async def _snapshot(data: dict[str, Any]) -> None:
            if kind == "phone":
                keys[i], places[i] = data.get("line_key"), data.get("ahead")
            snapshots[i] = data.get("ahead") if kind == "phone" else True

        async with sem:
            try:
                await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=30)
            except Exception as exc:  # reported to the coordinator, never hidden
                failed.append(f"{kind}: {exc!r}")
                return
        clients.append(sio)

    await asyncio.gather(*(connect(i, k, a) for i, (k, a) in enumerate(specs)))
    deadline = time.monotonic() + 60
    while sum(s is not None for s in snapshots) < len(clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    print("READY " + json.dumps({"connected": len(clients), "failed": failed}), flush=True)

    stop = asyncio.Event()

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line or line.strip() == "stop":
            stop.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    reported = 0
    while not stop.is_set():
        if got[0] != reported:
            reported = got[0]
            print(f"GOT {reported}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.002)
    loop.remove_reader(sys.stdin.fileno())
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"records": records, "snapshots": snapshots, "kinds": [k for k, _ in specs]}, fh)
    print("DONE", flush=True)


if __name__ == "__main__":
    raise_open_files()
    with open(sys.argv[2], encoding="utf-8") as fh:
        client_specs = json.load(fh)
    asyncio.run(main(sys.argv[1], client_specs, sys.argv[3]))
