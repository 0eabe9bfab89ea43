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


UNREADABLE = "[không giải mã được]"  # what a value encrypted under another key reads as


def encrypt(value: str) -> str:
    return _fernet(data_keys()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    try:
        return _fernet(data_keys()).decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # Wrong or lost key: never crash a page over it, never show ciphertext either.
        return UNREADABLE


# --- the blind index: a keyed hash of a normalised personal value, to find it without
# decrypting (lobby.dossiers.search). The key is derived from the OLDEST data key, so adding a
# new key (rotation) keeps it; dropping the oldest changes it and the index is rebuilt at the
# next start (rows carry the key's id).


@lru_cache(maxsize=8)
def _index_key(keys: str) -> bytes:
    oldest = [k.strip() for k in keys.split(",") if k.strip()][-1]
    return hmac.new(oldest.encode("ascii"), b"lobby blind index v1", hashlib.sha256).digest()


def blind_index(kind: str, value: str) -> str:
    """HMAC-SHA256 of kind and normalised value under the index key (128 bits, hex)."""
    message = f"{kind}\x00{value}".encode()
    return hmac.new(_index_key(data_keys()), message, hashlib.sha256).hexdigest()[:32]


def index_key_id() -> str:
    """A short name of the index key, stored with each row (never the key itself)."""
    return hmac.new(_index_key(data_keys()), b"key id", hashlib.sha256).hexdigest()[:12]
