"""The simulator's HTTP client: JSON on one kept-alive connection (standard library only)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import uuid
from typing import Any


class ServerError(RuntimeError):
    """The server answered what the day did not expect (the status and body are in the text)."""


class Http:
    """A small JSON client on one kept-alive connection: each actor (kiosk, officer, leader)
    sends its bearer token."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.base = base_url.rstrip("/")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _send(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> Any:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.request(method, path, body=data, headers=headers)
        return self._conn.getresponse()

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            r = self._send(method, path, data, headers)
        except (ConnectionError, http.client.HTTPException):
            # The server closed the kept-alive connection (a restart): one new connection.
            self.close()
            r = self._send(method, path, data, headers)
        status, raw = r.status, r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        if status not in expect:
            raise ServerError(f"{method} {path} -> {status}: {parsed}")
        return status, parsed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
