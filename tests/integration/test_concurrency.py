"""Taking a number and calling next are atomic under concurrent requests."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.integration.helpers import Staff, kiosk_headers


def _run(workers: list[threading.Thread]) -> None:
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)


def test_eight_threads_issuing_a_hundred_tickets_each_get_eight_hundred_distinct_numbers(
    app: Any,
) -> None:
    numbers: list[str] = []
    errors: list[Any] = []
    lock = threading.Lock()

    def kiosk() -> None:
        client = app.test_client()
        for _ in range(100):
            r = client.post(
                "/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app)
            )
            with lock:
                (
                    numbers.append(r.get_json()["number"])
                    if r.status_code == 201
                    else errors.append(r.get_json())
                )

    _run([threading.Thread(target=kiosk) for _ in range(8)])
    assert errors == []
    assert len(numbers) == 800 and len(set(numbers)) == 800
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 801)]


def test_four_counters_calling_at_once_call_every_ticket_exactly_once(app: Any) -> None:
    client = app.test_client()
    for i in range(120):
        service = ("ho_tich", "chung_thuc", "hoi_dap")[i % 3]
        r = client.post("/api/v1/tickets", json={"service": service}, headers=kiosk_headers(app))
        assert r.status_code == 201
    # Counters 1, 4, 5 and a leader at counter 2 all serve some of these fields.
    staff = [
        (Staff(app, "canbo1"), 1),
        (Staff(app, "canbo4"), 4),
        (Staff(app, "canbo5"), 5),
        (Staff(app, "canbo2"), 2),
    ]
    for officer, n in staff:
        officer.open_counter(n)
    called: list[str] = []
    problems: list[Any] = []
    lock = threading.Lock()

    def counter(officer: Staff, n: int) -> None:
        while True:
            r = officer.call_next(n)
            body = r.get_json()
            if r.status_code == 409 and body["error"] == "queue_empty":
                return
            if r.status_code != 200:
                with lock:
                    problems.append(body)
                return
            with lock:
                called.append(body["ticket"]["number"])
            officer.post(f"/api/v1/tickets/{body['ticket']['id']}/no-show")

    _run([threading.Thread(target=counter, args=s) for s in staff])
    assert problems == []
    assert len(called) == 120
    assert [n for n, k in Counter(called).items() if k > 1] == []
