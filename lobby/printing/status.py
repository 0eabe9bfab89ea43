"""printer_status: what a printer's state is told to staff and to the kiosks printing there, and
the last state of each printer this process reports for (server workers and print agents alike)."""

from __future__ import annotations

import threading
from typing import Any

from lobby import events


class PrinterStatus:
    """Publishes printer_status and remembers each printer's last payload."""

    def __init__(self) -> None:
        self._last: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def publish(
        self, printer_key: str, devices: list[tuple[int, str]], state: str, count: int
    ) -> None:
        """printer_status to staff and each kiosk printing there; remembered for states()."""
        pub = events.publisher()
        targets = [(name, [events.STAFF_ROOM, events.kiosk_room(i)]) for i, name in devices]
        for name, rooms in targets or [(printer_key, [events.STAFF_ROOM])]:
            payload = {"printer": name, "state": state, "pending_jobs": count}
            pub.publish(events.PRINTER_STATUS, payload, rooms)
        with self._lock:
            self._last[printer_key] = {
                "printer": printer_key,
                "devices": [name for _, name in devices],
                "state": state,
                "pending_jobs": count,
            }

    def states(self) -> list[dict[str, Any]]:
        """The last printer_status payload of each printer this process reports for."""
        with self._lock:
            return [dict(p) for p in self._last.values()]
