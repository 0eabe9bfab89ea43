"""The citizen reception schedule posted publicly (`/lich-tiep-cong-dan`, Decree 154/2026: the
schedule is posted and on the website): the sessions to come, today's leader on duty, where and
how (in person or online). Only the officials' names and titles: nothing about citizens. No
script; prints on A4 for the notice board. Routes on the citizen surface's blueprint."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from lobby.context import office, public_url
from lobby.queue import reference
from lobby.ratelimit import limiter, public_limit
from lobby.reception import schedule
from phone.views import bp

PATH = "/lich-tiep-cong-dan"


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


@bp.get(PATH)
@limiter.limit(public_limit)
def reception_page() -> Response:
    data = schedule.public_schedule()
    page = render_template(
        "phone/reception.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        info=reference.office_info(),
        sessions=with_words(data["sessions"]),
        duty=with_words(data["duty_today"]),
        today=date.fromisoformat(data["today"]),
        link=public_url(PATH.lstrip("/")),
    )
    resp = Response(page)
    resp.headers["Cache-Control"] = "no-cache"
    return resp
