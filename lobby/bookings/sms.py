"""The one-time code port: a booking made with a phone number gets its code by SMS when an SMS
gateway is configured. The gateway (an HTTP adapter) is another module's business: it registers
a sender with `use_sender`; until then nothing is sent and the number is taken on trust (the
limits per number and per address still hold).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

# A sender takes the normalised number and the text, and says whether the gateway accepted it.
Sender = Callable[[str, str], bool]
_KEY = "lobby.booking_sender"


def use_sender(app: Flask, sender: Sender | None) -> None:
    """Wire an SMS gateway (create_app, or a test)."""
    app.extensions[_KEY] = sender


def configured() -> bool:
    return current_app.extensions.get(_KEY) is not None


def send_one_time_code(phone: str, otp: str) -> bool:
    """Send the one-time code that confirms a booking's number; False when no gateway is
    configured or it failed. The number and the code are never logged."""
    sender: Sender | None = current_app.extensions.get(_KEY)
    if sender is None:
        return False
    try:
        return bool(sender(phone, f"Ma xac nhan dat lich lay so: {otp}"))
    except Exception:  # a gateway's failure never loses the booking: taken on trust then
        return False
