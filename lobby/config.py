"""Configuration from the environment (API.md "Configuration")."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _lan_address() -> str:
    """The first LAN address of this machine, for QR links phones can reach."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            # UDP connect sends nothing; it only asks the kernel for the outgoing interface.
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings of a running office, read once by create_app()."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'lobby.sqlite3'}"
    production = os.environ.get("LOBBY_ENV", "development") == "production"
    if production and not os.environ.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (LOBBY_ENV=production)")
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A staff sign-in lasts PERMANENT_SESSION_LIFETIME from the sign-in, so the cookie is
        # not signed and sent again on every call of a busy counter.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{_lan_address()}:{port}"),
        "LOBBY_DEMO": os.environ.get("LOBBY_DEMO"),
        "LOBBY_TIMEZONE": os.environ.get("LOBBY_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "SOCKETIO_MESSAGE_QUEUE": os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
        "SOCKETIO_CHANNEL": os.environ.get("SOCKETIO_CHANNEL", "lobby"),
        "LOBBY_OPEN_ALWAYS": _flag("LOBBY_OPEN_ALWAYS", "0"),
        # Seconds a process keeps the office's settings, fields, windows and calendar days
        # (lobby.refcache); a change made in another process shows after at most this long.
        "LOBBY_REFERENCE_TTL": float(os.environ.get("LOBBY_REFERENCE_TTL", "5")),
        # Seconds the kiosk keeps a new ticket on screen (older citizens read slowly; >= 30).
        "LOBBY_KIOSK_RESULT_SECONDS": max(
            30, int(os.environ.get("LOBBY_KIOSK_RESULT_SECONDS", "30") or 30)
        ),
        "RATELIMIT_ENABLED": _flag("LOBBY_RATE_LIMITS", "1"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("SOCKETIO_MESSAGE_QUEUE")
        or "memory://",
        "LOBBY_WEBHOOK_URL": os.environ.get("LOBBY_WEBHOOK_URL") or None,
        "LOBBY_WEBHOOK_SECRET": os.environ.get("LOBBY_WEBHOOK_SECRET") or None,
        "LOBBY_DATA_KEY": os.environ.get("LOBBY_DATA_KEY") or None,
        "HOST": os.environ.get("HOST", "0.0.0.0"),
        "PORT": port,
        "LOBBY_ENV": "production" if production else "development",
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in lobby.auth only for cookie-authenticated writes
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_HEADERS": ["X-CSRF-Token", "X-CSRFToken"],
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "JSON_SORT_KEYS": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_ISSUE": "20 per minute",
    "RATELIMIT_PUBLIC": "600 per minute",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_LOOKUP": "10 per minute",
    "SOCKETIO_ASYNC_MODE": "threading",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
}
