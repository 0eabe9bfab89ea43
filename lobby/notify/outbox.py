"""Messages to citizens go through an outbox: a row written in the transaction of the change it
tells, sent after the commit by NotifySender (the loop of lobby.webhooks.OutboxSender, in its
own thread or greenlet with timeouts: the event loop never waits on a gateway)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Flask, current_app

from lobby.context import ctx
from lobby.extensions import db
from lobby.notify import adapters
from lobby.notify.messages import TICKET_EVENTS
from lobby.notify.models import NotifyMessage
from lobby.notify.settings import GATEWAY, WEBPUSH
from lobby.notify.settings import adapters as adapters_on
from lobby.tx import current_tx
from lobby.webhooks import OutboxSender

# A ticket's message late by more than this is no use (the citizen has been called already).
TICKET_MESSAGE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 20  # a dossier's message: about a day of tries at the longest wait (1 h)


def queue(channel: str, event: str, recipient: str, message: dict[str, Any]) -> None:
    """One message for one adapter, in the open transaction; the sender wakes after the commit."""
    now = ctx().clock.now()
    db.session.add(
        NotifyMessage(
            channel=channel,
            event=event,
            recipient=recipient,
            body=json.dumps(message, ensure_ascii=False, sort_keys=True),
            next_try_at=now,
            created_at=now,
        )
    )
    tx = current_tx()
    if tx is not None:
        tx.after_commit(_wake)


def queue_for(
    event: str, message: dict[str, Any], *, phone: str | None, subscription: str | None
) -> int:
    """The message for each adapter that is on and has a way to reach this citizen: a phone
    number for the gateway, a push subscription for web push."""
    on = adapters_on()
    queued = 0
    if GATEWAY in on and phone:
        queue(GATEWAY, event, phone, message)
        queued += 1
    if WEBPUSH in on and subscription:
        queue(WEBPUSH, event, subscription, message)
        queued += 1
    return queued


def _wake() -> None:
    sender = current_app.extensions.get("lobby_notify")
    if sender is not None:
        sender.notify()


class NotifySender(OutboxSender):
    """Sends each message through its adapter. Messages do not wait for each other (a push
    service down must not hold the SMS); a ticket's message is given up after 15 minutes, a
    gone push subscription at once; the recipient is wiped once a message is done."""

    model = NotifyMessage
    name = "notify"
    keep_order = False

    def job(self, row: Any) -> tuple[Any, ...]:
        return (row.id, row.channel, row.event, row.recipient, row.body)

    def send(self, job: tuple[Any, ...]) -> str | None:
        message_id, channel, event, recipient, body = job
        if not recipient:
            return "gone: no recipient"
        if channel == GATEWAY:
            return adapters.send_gateway(self.app, message_id, event, recipient, body, self.timeout)
        if channel == WEBPUSH:
            return adapters.send_webpush(self.app, event, recipient, body, self.timeout)
        return f"gone: unknown channel {channel}"

    def give_up(self, row: Any) -> bool:
        if row.last_error.startswith("gone"):
            return True
        now = self.app.extensions["lobby"].clock.now()
        if row.event in TICKET_EVENTS and now - row.created_at > TICKET_MESSAGE_TTL:
            return True
        return int(row.attempts) >= MAX_ATTEMPTS

    def finished(self, row: Any) -> None:
        row.recipient = None  # the phone number or subscription served its purpose


def init_app(app: Flask) -> NotifySender | None:
    """Create the sender when an adapter is on (lobby.startup starts it)."""
    if not app.config.get("LOBBY_NOTIFY_ADAPTERS"):
        return None
    sender = NotifySender(app, timeout=float(app.config.get("LOBBY_NOTIFY_TIMEOUT", 5.0)))
    app.extensions["lobby_notify"] = sender
    return sender
