"""Configuration from the environment (API.md "Configuration").

The one module that reads the environment (a test holds every other module of lobby/ and api/ to
it): create_app() reads it once through from_environment(); the few values wanted outside a
request or before the app exists are read by the functions at the end.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from core.clock import OFFICE_TZ

# The repository's root: migrations, translations and the bundled voice pack and fonts.
REPO = Path(__file__).resolve().parent.parent


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _days(name: str, default: str) -> float:
    """A retention period in days: a positive number, or the server refuses to start."""
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise RuntimeError(f"{name} must be a number of days greater than 0, got {raw!r}")
    return value


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


def installation_channel(secret_key: str) -> str:
    """The Redis channel of one installation. Redis pub/sub ignores the database number, so two
    offices on one Redis would hear each other's calls on a shared name; every process of one
    installation shares its SECRET_KEY (sessions must hold across them), so that names it."""
    return "lobby-" + hashlib.sha256(("channel:" + secret_key).encode()).hexdigest()[:16]


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings of a running office, read once by create_app()."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'lobby.sqlite3'}"
    production = os.environ.get("LOBBY_ENV", "development") == "production"
    if production and not os.environ.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (LOBBY_ENV=production)")
    secret = _secret_key(instance)
    channel = os.environ.get("SOCKETIO_CHANNEL") or installation_channel(secret)
    public_base_url = os.environ.get("PUBLIC_BASE_URL", f"http://{_lan_address()}:{port}")
    https = public_base_url.lower().startswith("https://")
    idle = int(os.environ.get("LOBBY_SESSION_IDLE_SECONDS", "") or 10 * 3600)
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The cookie is not signed and sent again on every call of a busy counter: lobby.auth
        # writes the session's last-seen time back every 15 minutes, and a session idle for
        # LOBBY_SESSION_IDLE_SECONDS (a working day) ends.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PUBLIC_BASE_URL": public_base_url,
        # Cookies only over HTTPS when the office is reached over HTTPS (or in production,
        # which runs behind a TLS proxy: docs/deployment.md); HSTS is sent then too.
        "SESSION_COOKIE_SECURE": production or https,
        "LOBBY_HTTPS": production or https,
        # How many reverse proxies stand in front (their X-Forwarded-For/-Proto/-Host are
        # believed): 0 = none, the default; 1 = one nginx/Caddy in front.
        "LOBBY_PROXY_COUNT": int(os.environ.get("LOBBY_PROXY_COUNT", "0") or 0),
        # A staff session ends after a working day without a request (lobby.auth).
        "LOBBY_SESSION_IDLE_SECONDS": idle,
        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=idle),
        "LOBBY_DEMO": os.environ.get("LOBBY_DEMO"),
        "LOBBY_TIMEZONE": os.environ.get("LOBBY_TIMEZONE", OFFICE_TZ),
        "SOCKETIO_MESSAGE_QUEUE": os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
        "SOCKETIO_CHANNEL": channel,
        # Two installations on one Redis must not count each other's visitors either.
        "RATELIMIT_KEY_PREFIX": channel,
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
        **_housekeeping(instance),
        **_notifications(),
        "HOST": os.environ.get("HOST", "0.0.0.0"),
        "PORT": port,
        "LOBBY_ENV": "production" if production else "development",
        "LOBBY_CLOCK_FILE": _clock_file(production),
        # One log line per HTTP request on the server's output (server.py).
        "LOBBY_ACCESS_LOG": os.environ.get("LOBBY_ACCESS_LOG", "0") == "1",
        # The print workers (lobby.printing); None when not set, and printing's default applies.
        "LOBBY_PRINT_THREADS": os.environ.get("LOBBY_PRINT_THREADS"),
        "LOBBY_PRINT_RETRY_MAX": os.environ.get("LOBBY_PRINT_RETRY_MAX"),
        "LOBBY_PRINT_MAX_AGE_MINUTES": os.environ.get("LOBBY_PRINT_MAX_AGE_MINUTES"),
    }


def _housekeeping(instance: Path) -> dict[str, Any]:
    """What is kept how long, where the webhook goes, the data key, the daily backup."""
    return {
        # Days a printed slip's audit row and a delivered webhook row are kept (lobby.retention).
        "LOBBY_PRINT_RETENTION_DAYS": _days("LOBBY_PRINT_RETENTION_DAYS", "90"),
        "LOBBY_WEBHOOK_RETENTION_DAYS": _days("LOBBY_WEBHOOK_RETENTION_DAYS", "90"),
        "LOBBY_WEBHOOK_URL": os.environ.get("LOBBY_WEBHOOK_URL") or None,
        "LOBBY_WEBHOOK_SECRET": os.environ.get("LOBBY_WEBHOOK_SECRET") or None,
        "LOBBY_DATA_KEY": os.environ.get("LOBBY_DATA_KEY") or None,
        # The daily backup (lobby.backup): at this office time, into this folder, the last N kept.
        "LOBBY_BACKUP_AT": _backup_at(),
        "LOBBY_BACKUP_DIR": os.environ.get("LOBBY_BACKUP_DIR") or str(instance / "backups"),
        "LOBBY_BACKUP_KEEP": _backup_keep(),
    }


# Chrome's, Firefox's, Safari's and Edge's push services.
PUSH_SERVICES = "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com"


def _notifications() -> dict[str, Any]:
    """Telling citizens (docs/notifications.md): LOBBY_NOTIFY lists the adapters (webpush,
    gateway), `none` by default: the lobby works offline. Each adapter needs its own keys."""
    raw = os.environ.get("LOBBY_NOTIFY", "none").replace(" ", "").lower()
    chosen = tuple(a for a in raw.split(",") if a and a != "none")
    unknown = [a for a in chosen if a not in ("webpush", "gateway")]
    if unknown:
        raise RuntimeError(f"LOBBY_NOTIFY: none, webpush, gateway or both, got {raw!r}")
    found = {
        "LOBBY_NOTIFY_ADAPTERS": chosen,
        # "N places from your turn" is sent when this many people (or fewer) are ahead.
        "LOBBY_NOTIFY_NEAR": int(os.environ.get("LOBBY_NOTIFY_NEAR", "3") or 3),
        "LOBBY_NOTIFY_GATEWAY_URL": os.environ.get("LOBBY_NOTIFY_GATEWAY_URL") or None,
        "LOBBY_NOTIFY_GATEWAY_SECRET": os.environ.get("LOBBY_NOTIFY_GATEWAY_SECRET") or None,
        "LOBBY_NOTIFY_ZNS_TEMPLATE": os.environ.get("LOBBY_NOTIFY_ZNS_TEMPLATE") or None,
        "LOBBY_VAPID_PRIVATE_KEY": os.environ.get("LOBBY_VAPID_PRIVATE_KEY") or None,
        "LOBBY_VAPID_SUBJECT": os.environ.get("LOBBY_VAPID_SUBJECT") or None,
        # The push services a subscription may name (a host, or a domain and its subdomains):
        # the server POSTs there, so never to an address a visitor makes up (a LAN printer).
        "LOBBY_NOTIFY_PUSH_HOSTS": tuple(
            h.strip().lower()
            for h in os.environ.get("LOBBY_NOTIFY_PUSH_HOSTS", PUSH_SERVICES).split(",")
            if h.strip()
        ),
    }
    if "gateway" in chosen and not found["LOBBY_NOTIFY_GATEWAY_URL"]:
        raise RuntimeError("LOBBY_NOTIFY=gateway needs LOBBY_NOTIFY_GATEWAY_URL")
    if "webpush" in chosen and not found["LOBBY_VAPID_PRIVATE_KEY"]:
        raise RuntimeError(
            "LOBBY_NOTIFY=webpush needs LOBBY_VAPID_PRIVATE_KEY (flask --app server notify-keys)"
        )
    return found


def _backup_at() -> time | None:
    """LOBBY_BACKUP_AT: HH:MM of the daily backup (office time); `off` (or `0`) for none."""
    raw = os.environ.get("LOBBY_BACKUP_AT", "21:30").strip()
    if raw.lower() in {"", "0", "off", "no", "false"}:
        return None
    try:
        hour, minute = (int(part) for part in raw.split(":"))
        return time(hour, minute)
    except ValueError as exc:
        raise RuntimeError(
            f"LOBBY_BACKUP_AT must be HH:MM (e.g. 21:30) or off, got {raw!r}"
        ) from exc


def _backup_keep() -> int:
    raw = os.environ.get("LOBBY_BACKUP_KEEP", "14")
    if not raw.strip().isdigit() or int(raw) < 1:
        raise RuntimeError(f"LOBBY_BACKUP_KEEP must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _clock_file(production: bool) -> str | None:
    """LOBBY_CLOCK_FILE: time read from a file, for replayed and training days (never live)."""
    path = os.environ.get("LOBBY_CLOCK_FILE") or None
    if path and production:
        raise RuntimeError("LOBBY_CLOCK_FILE is for replays and training, not production")
    return path


def instance_path(default: Path) -> str:
    """LOBBY_INSTANCE_PATH: the instance folder (database, secrets, backups), read before the app
    exists; else `default`."""
    return os.environ.get("LOBBY_INSTANCE_PATH") or str(default)


def data_key_from_environment() -> str | None:
    """LOBBY_DATA_KEY as the environment holds it now (None when unset or empty)."""
    return os.environ.get("LOBBY_DATA_KEY") or None


def secret_key_from_environment() -> str | None:
    """SECRET_KEY as the environment holds it now (None when unset or empty): a restore leaves
    a key set there alone."""
    return os.environ.get("SECRET_KEY") or None


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in lobby.auth only for cookie-authenticated writes
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_HEADERS": ["X-CSRF-Token", "X-CSRFToken"],
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": OFFICE_TZ,
    "JSON_SORT_KEYS": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    # A rate-limit store that cannot be reached (Redis away) never fails a request: limits are
    # counted in this process's memory meanwhile, and in the store again once it answers.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_ISSUE": "20 per minute",
    "RATELIMIT_PUBLIC": "600 per minute",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_LOOKUP": "10 per minute",
    # Feedback from citizens (POST /api/v1/feedback and the /gop-y form, one bucket per address).
    "RATELIMIT_FEEDBACK": "10 per hour",
    "RATELIMIT_BOOKING": "10 per minute",
    "SOCKETIO_ASYNC_MODE": "threading",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
}
