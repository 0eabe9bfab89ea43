"""Rate limits: the limiter, what it counts by, and the limits (their values are settings:
RATELIMIT_* in lobby.config).

A limit is a callable read on each request, so a test or an office can set it in the app's config.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter

from lobby.auth import Unauthorized, current_device
from lobby.events import redis_client_options


def limit_key() -> str:
    """Rate limits count per device when a device asks, else per client address."""
    try:
        device = current_device()
    except Unauthorized:
        return f"addr:{request.remote_addr}"
    if device is not None and device.device is not None:
        return f"device:{device.device.id}"
    return f"addr:{request.remote_addr}"


limiter = Limiter(key_func=limit_key)


def init_app(app: Flask) -> None:
    """Bind the limiter; a Redis store gets the short timeouts of a request's path."""
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_client_options())
    limiter.init_app(app)


def _configured(name: str) -> str:
    return str(current_app.config[name])


def public_limit() -> str:
    """Public lookups (phone pages, board state): generous, a whole lobby shares one address."""
    return _configured("RATELIMIT_PUBLIC")


def lookup_limit() -> str:
    """Guessing a dossier's lookup secret: strict."""
    return _configured("RATELIMIT_LOOKUP")


def issue_limit() -> str:
    """Tickets per kiosk."""
    return _configured("RATELIMIT_ISSUE")


def feedback_limit() -> str:
    """Feedback sent by citizens (the API and the /gop-y form share one bucket per address)."""
    return _configured("RATELIMIT_FEEDBACK")


FEEDBACK_SCOPE = "feedback"


def login_limit() -> str:
    """Sign-in attempts per address (the account itself is locked after repeated failures)."""
    return _configured("RATELIMIT_LOGIN")


def booking_limit() -> str:
    """Remote tickets booked from one address (lobby.bookings also limits per number)."""
    return _configured("RATELIMIT_BOOKING")
