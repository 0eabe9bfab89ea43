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


class WebhookSender:
    """Sends pending deliveries oldest first; a failure waits 2^attempts seconds (≤ 1 h)."""

    def __init__(self, app: Flask, secret: str, timeout: float = 5.0) -> None:
        self.app = app
        self.secret = secret
        self.timeout = timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_pending()
            except Exception:
                log.exception("webhook sender failed")
                wait = 30.0
            self._wake.wait(wait)
            self._wake.clear()

    def run_pending(self) -> float:
        """Try every due delivery once; return the seconds until the next one is due."""
        with self.app.app_context():
            clock = self.app.extensions["lobby"].clock
            due = db.session.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.status == "pending", WebhookDelivery.next_try_at <= clock.now()
                )
                .order_by(WebhookDelivery.id)
                .limit(100)
            ).all()
            jobs = [(d.id, d.url, d.event, d.body) for d in due]
            db.session.rollback()  # no transaction open while we talk to the network
            for job_id, url, event, body in jobs:
                error = self._post(url, event, job_id, body.encode("utf-8"))
                d = db.session.get(WebhookDelivery, job_id)
                if d is None:
                    continue
                d.attempts += 1
                if error is None:
                    d.status = "delivered"
                    d.delivered_at = clock.now()
                else:
                    d.last_error = error[:500]
                    d.next_try_at = clock.now() + min(timedelta(seconds=2**d.attempts), MAX_BACKOFF)
                db.session.commit()
                if error is not None:
                    break  # keep order: do not send later changes before this one
            nxt = db.session.scalar(
                select(WebhookDelivery.next_try_at)
                .where(WebhookDelivery.status == "pending")
                .order_by(WebhookDelivery.next_try_at)
                .limit(1)
            )
            db.session.rollback()
            if nxt is None:
                return 60.0
            return max(0.05, (nxt - clock.now()).total_seconds())

    def _post(self, url: str, event: str, delivery_id: int, body: bytes) -> str | None:
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Lobby-Event": event,
                "X-Lobby-Delivery": str(delivery_id),
                "X-Lobby-Signature": sign(self.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                if 200 <= resp.status < 300:
                    return None
                return f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return type(exc).__name__


def init_app(app: Flask) -> Any:
    """Create the sender when LOBBY_WEBHOOK_URL is configured."""
    if not app.config.get("LOBBY_WEBHOOK_URL"):
        return None
    sender = WebhookSender(app, app.config.get("LOBBY_WEBHOOK_SECRET") or app.config["SECRET_KEY"])
    app.extensions["lobby_webhooks"] = sender
    return sender
