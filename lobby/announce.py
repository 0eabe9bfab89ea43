"""The spoken call of a ticket: its text and the voice clips the board plays, in order."""

from __future__ import annotations

from typing import Any

from flask import current_app

from core.speech import call_announcement, clip_sequence

VOICE_URL = "/voice/vi/"


def announcement_payload(number: str, counter_number: int) -> dict[str, Any]:
    settings = current_app.extensions["lobby"].speech_settings
    ann = call_announcement(number, counter_number, **settings)
    return {
        "text": ann.text,
        "words": list(ann.words),
        "audio": [VOICE_URL + clip for clip in clip_sequence(ann, repeat=2)],
    }
