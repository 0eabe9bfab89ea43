"""Which notification adapters are on (LOBBY_NOTIFY, read by lobby.config), and their keys.

`none` is the default: nothing is stored or sent, and the ticket page hides "Báo cho tôi".
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app

WEBPUSH = "webpush"
GATEWAY = "gateway"
ADAPTERS = (WEBPUSH, GATEWAY)


def adapters(app: Any = None) -> frozenset[str]:
    app = app or current_app
    return frozenset(app.config.get("LOBBY_NOTIFY_ADAPTERS") or ())


def enabled(app: Any = None) -> bool:
    return bool(adapters(app))


def near_places() -> int:
    """Tell a ticket when this many people (or fewer) are ahead of it (LOBBY_NOTIFY_NEAR)."""
    return int(current_app.config.get("LOBBY_NOTIFY_NEAR", 3))


def vapid_private_key(app: Any = None) -> str:
    """The VAPID private key: base64url of the raw P-256 key, or a PEM file's path."""
    raw = str((app or current_app).config.get("LOBBY_VAPID_PRIVATE_KEY") or "").strip()
    if raw and not raw.startswith("-----") and Path(raw).is_file():
        return Path(raw).read_text()
    return raw


def vapid_public_key() -> str | None:
    """The applicationServerKey the ticket page subscribes with (base64url, uncompressed
    point), or None when web push is off."""
    if WEBPUSH not in adapters():
        return None
    return _public_key(vapid_private_key())


@lru_cache(maxsize=4)
def _public_key(private: str) -> str:
    # cryptography (~7 MB): only when web push is configured (as lobby.crypto)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if private.startswith("-----"):
        key: Any = serialization.load_pem_private_key(private.encode(), password=None)
    else:
        padded = private + "=" * (-len(private) % 4)
        number = int.from_bytes(base64.urlsafe_b64decode(padded), "big")
        key = ec.derive_private_key(number, ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def new_vapid_key() -> tuple[str, str]:
    """A fresh (private, public) pair for LOBBY_VAPID_PRIVATE_KEY (`flask notify-keys`)."""
    from cryptography.hazmat.primitives.asymmetric import ec  # see _public_key

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    private = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return private, _public_key(private)
