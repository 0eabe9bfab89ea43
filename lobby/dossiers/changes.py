"""What every change to a dossier leaves and tells: its row on the control sheet (phiếu kiểm
soát quá trình giải quyết hồ sơ), dossier_updated to the phones following it, and the outgoing
webhook, queued in the same transaction and sent after the commit (lobby.webhooks).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from lobby import events
from lobby.context import ctx, iso, publish_after_commit
from lobby.dossiers.views import public_dossier_view
from lobby.extensions import db
from lobby.models import Dossier, DossierEvent, Office, StaffUser, Ticket, WebhookDelivery
from lobby.notify import tell
from lobby.tx import current_tx


def record_event(
    d: Dossier,
    action: str,
    before: int | None,
    user: StaffUser | None,
    *,
    source: str = "counter",
    **fields: Any,
) -> None:
    """A row of the control sheet: the move from `before` to the dossier's status now."""
    db.session.add(
        DossierEvent(
            dossier_id=d.id,
            at=ctx().clock.now(),
            action=action,
            from_status=before,
            to_status=d.status_code,
            actor_staff_id=user.id if user else None,
            source=source,
            **fields,
        )
    )


def after_change(d: Dossier, o: Office, event: str) -> None:
    """Tell the phone(s) following this dossier, and queue the outgoing webhook."""
    view = public_dossier_view(d, o)
    rooms = [events.dossier_room(d.public_token)]
    if d.ticket_id is not None:
        t = db.session.get(Ticket, d.ticket_id)
        if t is not None:
            rooms.append(events.ticket_room(t.public_token))
    publish_after_commit(events.DOSSIER_UPDATED, view, rooms)
    tell.dossier_changed(d, event, view)  # the citizen's SMS / push, when asked for
    url = current_app.config.get("LOBBY_WEBHOOK_URL")
    if url:
        _queue_webhook(url, event, view, o)


# The part of the public view an outgoing webhook carries.
_WEBHOOK_KEYS = (
    "code",
    "status",
    "status_code",
    "received_at",
    "due_at",
    "timeliness",
    "new_due_at",
)


def _queue_webhook(url: str, event: str, view: dict[str, Any], o: Office) -> None:
    """A delivery row in the same transaction; the sender is woken after the commit."""
    payload = {
        "event": event,
        "at": iso(ctx().clock.now(), o),
        "dossier": {k: view[k] for k in _WEBHOOK_KEYS},
    }
    db.session.add(
        WebhookDelivery(
            url=url,
            event=event,
            body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            next_try_at=ctx().clock.now(),
            created_at=ctx().clock.now(),
        )
    )
    tx = current_tx()
    if tx is not None:
        tx.after_commit(_wake_webhooks)


def _wake_webhooks() -> None:
    hook = current_app.extensions.get("lobby_webhooks")
    if hook is not None:
        hook.notify()
