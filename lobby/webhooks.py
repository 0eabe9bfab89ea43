"""The outgoing webhook: every dossier change, signed with HMAC-SHA256, retried until delivered.

Deliveries are rows written in the same transaction as the change (lobby.dossiers.changes), so a
restart or an unreachable receiver loses none; the sender drains them in order.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from lobby.extensions import db
from lobby.models import WebhookDelivery

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)


def sign(secret: str, body: bytes) -> str:
    """The X-Lobby-Signature header: sha256=<hex HMAC of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header or "")


class OutboxSender:
    """Sends the pending rows of an outbox table oldest first; a failure waits 2^attempts
    seconds (≤ 1 h). One thread (a greenlet under gevent) per outbox: the event loop never
    waits on the network. A subclass says how one row goes out (`job`, `send`) and may give a
    row up (`give_up`) or wipe it once done (`finished`). The dossier webhook is one; the
    citizens' notifications (lobby.notify.outbox) another."""

    model: Any = WebhookDelivery
    name = "outbox"
    keep_order = True  # stop at the first failure: later rows wait for it

    def __init__(self, app: Flask, timeout: float = 5.0) -> None:
        self.app = app
        self.timeout = timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_pending()
            except Exception:
                log.exception("%s sender failed", self.name)
                wait = 30.0
            self._wake.wait(wait)
            self._wake.clear()

    def job(self, row: Any) -> tuple[Any, ...]:
        """What `send` needs of a row, read before the transaction closes (id first)."""
        raise NotImplementedError

    def send(self, job: tuple[Any, ...]) -> str | None:
        """Send one row; None when delivered, else the error (kept on the row)."""
        raise NotImplementedError

    def give_up(self, row: Any) -> bool:
        return False

    def finished(self, row: Any) -> None:
        """A row delivered or given up (its status is set)."""

    def run_pending(self) -> float:
        """Try every due row once; return the seconds until the next one is due."""
        model = self.model
        with self.app.app_context():
            clock = self.app.extensions["lobby"].clock
            due = db.session.scalars(
                select(model)
                .where(model.status == "pending", model.next_try_at <= clock.now())
                .order_by(model.id)
                .limit(100)
            ).all()
            jobs = [self.job(d) for d in due]
            db.session.rollback()  # no transaction open while we talk to the network
            for job in jobs:
                error = self.send(job)
                d = db.session.get(model, job[0])
                if d is None:
                    continue
                d.attempts += 1
                if error is None:
                    d.status = "delivered"
                    d.delivered_at = clock.now()
                    self.finished(d)
                else:
                    d.last_error = error[:500]
                    d.next_try_at = clock.now() + min(timedelta(seconds=2**d.attempts), MAX_BACKOFF)
                    if self.give_up(d):
                        d.status = "failed"
                        self.finished(d)
                db.session.commit()
                if error is not None and self.keep_order:
                    break  # keep order: do not send later changes before this one
            nxt = db.session.scalar(
                select(model.next_try_at)
                .where(model.status == "pending")
                .order_by(model.next_try_at)
                .limit(1)
            )
            db.session.rollback()
            if nxt is None:
                return 60.0
            return max(0.05, (nxt - clock.now()).total_seconds())


def post_signed(
    url: str, body: bytes, secret: str, timeout: float, headers: dict[str, str]
) -> str | None:
    """POST a JSON body with X-Lobby-Signature (HMAC-SHA256); None when the answer is 2xx."""
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            **headers,
            "X-Lobby-Signature": sign(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            if 200 <= resp.status < 300:
                return None
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return type(exc).__name__


class WebhookSender(OutboxSender):
    """The dossier webhook: each change POSTed, in order, to LOBBY_WEBHOOK_URL."""

    model = WebhookDelivery
    name = "webhooks"

    def __init__(self, app: Flask, secret: str, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.secret = secret

    def job(self, row: Any) -> tuple[Any, ...]:
        return (row.id, row.url, row.event, row.body)

    def send(self, job: tuple[Any, ...]) -> str | None:
        job_id, url, event, body = job
        return self._post(url, event, job_id, body.encode("utf-8"))

    def _post(self, url: str, event: str, delivery_id: int, body: bytes) -> str | None:
        headers = {"X-Lobby-Event": event, "X-Lobby-Delivery": str(delivery_id)}
        return post_signed(url, body, self.secret, self.timeout, headers)


def init_app(app: Flask) -> Any:
    """Create the sender when LOBBY_WEBHOOK_URL is configured."""
    if not app.config.get("LOBBY_WEBHOOK_URL"):
        return None
    sender = WebhookSender(app, app.config.get("LOBBY_WEBHOOK_SECRET") or app.config["SECRET_KEY"])
    app.extensions["lobby_webhooks"] = sender
    return sender
