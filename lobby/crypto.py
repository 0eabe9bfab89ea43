"""Encryption at rest for applicants' personal data (DOMAIN §10), with Fernet (AES + HMAC)."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from lobby.config import data_key_from_environment


@lru_cache(maxsize=8)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def data_keys() -> str:
    """LOBBY_DATA_KEY (comma-separated, newest first, for rotation), else a key kept in the instance folder."""
    configured = current_app.config.get("LOBBY_DATA_KEY") or data_key_from_environment()
    if configured:
        return str(configured)
    path = Path(current_app.instance_path) / "data_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def encrypt(value: str) -> str:
    return _fernet(data_keys()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    try:
        return _fernet(data_keys()).decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # Wrong or lost key: never crash a page over it, never show ciphertext either.
        return "[không giải mã được]"


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash of a normalised personal value (a phone number), to count or find rows by
    it without storing it in clear: HMAC-SHA256 under a key derived from the newest data key
    and the purpose. Rotating the data keys changes it (limits then restart from zero)."""
    newest = data_keys().split(",")[0].strip().encode()
    key = hmac.new(newest, f"blind-index:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
