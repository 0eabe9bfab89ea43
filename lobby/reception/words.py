"""The schedule in words, in the visitor's language: a session's day ('Thứ Năm, 10/12/2026'),
kind and mode for the public page and the kiosk, and the board's two short lines (the next
session, today's leaders on duty). One place, so the screens say it the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _


def kind_labels() -> dict[str, str]:
    return {
        "dinh_ky": _("Tiếp công dân định kỳ"),
        "truc": _("Lãnh đạo trực"),
        "chuyen_de": _("Tiếp công dân theo chuyên đề"),
    }


def mode_labels() -> dict[str, str]:
    return {"in_person": _("Trực tiếp"), "online": _("Trực tuyến")}


def weekday_labels() -> list[str]:
    return [
        _("Thứ Hai"),
        _("Thứ Ba"),
        _("Thứ Tư"),
        _("Thứ Năm"),
        _("Thứ Sáu"),
        _("Thứ Bảy"),
        _("Chủ Nhật"),
    ]


def with_words(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each session with its day ('Thứ Năm, 10/12/2026'), kind and mode in words."""
    days, kinds, modes = weekday_labels(), kind_labels(), mode_labels()
    out = []
    for s in sessions:
        d = date.fromisoformat(s["date"])
        out.append(
            {
                **s,
                "day_text": f"{days[d.weekday()]}, {d:%d/%m/%Y}",
                "kind_text": kinds.get(s["kind"], s["kind"]),
                "mode_text": modes.get(s["mode"], s["mode"]),
            }
        )
    return out


def board_words() -> dict[str, Any]:
    """What display/static/js/reception.js needs to write the lines as board_lines does."""
    return {"weekdays": weekday_labels(), "today": _("Hôm nay"), "online": _("trực tuyến")}


def _when(s: dict[str, Any], today: str, words: dict[str, Any]) -> str:
    day = date.fromisoformat(s["date"])
    name = words["today"] if s["date"] == today else words["weekdays"][day.weekday()]
    online = f" ({words['online']})" if s["mode"] == "online" else ""
    return f"{name} {day:%d/%m}, {s['start']}–{s['end']}{online}"


def board_lines(data: dict[str, Any]) -> dict[str, Any]:
    """The board's reception lines from the public schedule, short enough for the footer's
    middle: the next session (when and who, without the title), and today's leaders on duty
    with their titles ('' for none)."""
    words = board_words()
    first = data["sessions"][0] if data["sessions"] else None
    who = "{name} – {title}"
    return {
        "next": (
            f"{_when(first, data['today'], words)} · {first['official']['name']}" if first else ""
        ),
        "duty": "; ".join(who.format(**d["official"]) for d in data["duty_today"]),
        "words": words,
    }
