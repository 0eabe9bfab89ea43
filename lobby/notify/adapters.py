"""The two ways out: the HTTP gateway (SMS or Zalo OA, a POST signed like the dossier webhook)
and Web Push (VAPID, pywebpush). Each takes one stored message and returns None when it was
accepted, else the error kept on the row ("gone…" when trying again is pointless)."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from lobby.notify.settings import GATEWAY, adapters, vapid_private_key
from lobby.webhooks import post_signed

log = logging.getLogger(__name__)


def zalo_phone(phone: str) -> str:
    """A Vietnamese number as Zalo ZNS wants it: 84…, digits only (0912… → 84912…)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def gateway_body(
    app: Any, message_id: int | str, event: str, phone: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The POST's body (docs/notifications.md): the message for an SMS gateway, and a ready
    Zalo ZNS request (`zalo_zns`) when LOBBY_NOTIFY_ZNS_TEMPLATE names the OA's template."""
    body: dict[str, Any] = {
        "id": message_id,
        "event": event,
        "phone": phone,
        "title": message.get("title"),
        "text": message.get("text"),
        "url": message.get("data", {}).get("url"),
        "data": message.get("data", {}),
    }
    template = app.config.get("LOBBY_NOTIFY_ZNS_TEMPLATE")
    if template:
        params = {k: v for k, v in message.get("data", {}).items() if v is not None}
        body["zalo_zns"] = {
            "phone": zalo_phone(phone),
            "template_id": template,
            "template_data": {"event": event, "text": message.get("text"), **params},
            "tracking_id": f"lobby-{message_id}",
        }
    return body


def send_gateway(
    app: Any, message_id: int | str, event: str, phone: str, stored: str, timeout: float
) -> str | None:
    url = app.config.get("LOBBY_NOTIFY_GATEWAY_URL")
    if not url:
        return "gone: LOBBY_NOTIFY_GATEWAY_URL is not set"
    secret = app.config.get("LOBBY_NOTIFY_GATEWAY_SECRET") or app.config["SECRET_KEY"]
    body = gateway_body(app, message_id, event, phone, json.loads(stored))
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"X-Lobby-Event": event, "X-Lobby-Delivery": f"notify-{message_id}"}
    return post_signed(url, raw, secret, timeout, headers)


def text_now(app: Any, event: str, phone: str, text: str) -> bool:
    """A text that cannot wait for the outbox (a booking's one-time code, lobby.bookings.sms):
    posted to the gateway within the request, never stored; True when the gateway took it."""
    if GATEWAY not in adapters(app):
        return False
    once = f"now-{secrets.token_hex(6)}"  # the gateway may drop a delivery id it saw before
    stored = json.dumps({"title": None, "text": text, "data": {}}, ensure_ascii=False)
    timeout = float(app.config.get("LOBBY_NOTIFY_TIMEOUT", 5.0))
    return send_gateway(app, once, event, phone, stored, timeout) is None


def push_payload(message: dict[str, Any], event: str) -> dict[str, Any]:
    """What the ticket page's service worker shows (lobby/static/js/notify-sw.js)."""
    return {
        "title": message.get("title"),
        "body": message.get("text"),
        "url": message.get("data", {}).get("url"),
        "tag": event,
    }


def send_webpush(
    app: Any, event: str, subscription: str, stored: str, timeout: float
) -> str | None:
    # pywebpush (and its aiohttp, http_ece, py_vapid): only when web push is configured
    from pywebpush import WebPushException, webpush

    message = json.loads(stored)
    subject = app.config.get("LOBBY_VAPID_SUBJECT") or "mailto:admin@localhost"
    try:
        info = json.loads(subscription)
        webpush(
            subscription_info=info,
            data=json.dumps(push_payload(message, event), ensure_ascii=False),
            vapid_private_key=vapid_private_key(app),
            vapid_claims={"sub": subject},
            timeout=timeout,
            ttl=15 * 60,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            return f"gone: HTTP {status}"  # the citizen unsubscribed, or the browser forgot
        return f"HTTP {status}" if status else "WebPushException"
    except (ValueError, KeyError) as exc:
        return f"gone: bad subscription ({type(exc).__name__})"
    except OSError as exc:
        return type(exc).__name__
    return None
