"""The citizen reception schedule posted publicly (`/lich-tiep-cong-dan`, Decree 154/2026: the
schedule is posted and on the website): the sessions to come, today's leader on duty, where and
how (in person or online). Only the officials' names and titles: nothing about citizens. No
script; prints on A4 for the notice board. Routes on the citizen surface's blueprint."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template
from flask_babel import get_locale

from lobby.context import office, public_url
from lobby.queue import reference
from lobby.ratelimit import limiter, public_limit
from lobby.reception import schedule, words
from phone.views import bp

PATH = "/lich-tiep-cong-dan"


@bp.get(PATH)
@limiter.limit(public_limit)
def reception_page() -> Response:
    data = schedule.public_schedule()
    page = render_template(
        "phone/reception.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        info=reference.office_info(),
        sessions=words.with_words(data["sessions"]),
        duty=words.with_words(data["duty_today"]),
        today=date.fromisoformat(data["today"]),
        link=public_url(PATH.lstrip("/")),
    )
    resp = Response(page)
    resp.headers["Cache-Control"] = "no-cache"
    return resp
