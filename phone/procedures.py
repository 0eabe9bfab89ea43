"""The procedures posted publicly (niêm yết công khai, `/thu-tuc`): every procedure the office
accepts, by field, with its time allowed, fees, the documents to bring and their copies, the
legal basis and the national code. Searchable without JavaScript (?q=, with or without
diacritics), readable on a phone, printable on A4 for the notice board. Its QR
(`/thu-tuc/qr.svg`) is on the kiosk's home screen and on the board.

Public data only: nothing here knows of tickets, dossiers or people. Routes on the citizen
surface's blueprint (phone.views.bp).
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from core.deadlines import DeadlineUnit
from lobby.context import office, public_url
from lobby.qr import qr_svg
from lobby.queue import reference
from lobby.ratelimit import limiter, public_limit
from lobby.setup.catalogue import public_catalogue
from phone.views import bp

PATH = "/thu-tuc"
MAX_QUERY = 100  # longer searches are cut: no procedure name needs more
COPIES = ("ban_chinh", "ban_chung_thuc", "ban_photo")


def procedures_url() -> str:
    """The list's address as citizens open it from a QR (the office's public address)."""
    return public_url(PATH.lstrip("/"))


def deadline_text(deadline: dict[str, Any]) -> str:
    """'Trong ngày', '3 ngày làm việc', '8 giờ làm việc' (the receipt's wording)."""
    unit, value = deadline.get("unit"), deadline.get("value") or 0
    if unit == DeadlineUnit.SAME_DAY:
        return str(_("Trong ngày"))
    if unit == DeadlineUnit.WORKING_HOUR:
        return str(_("%(n)s giờ làm việc", n=value))
    return str(_("%(n)s ngày làm việc", n=value))


def copies_text(component: dict[str, Any]) -> str:
    """'1 bản chính, 2 bản sao chứng thực' ('' when no count was given)."""
    labels = {
        "ban_chinh": _("%(n)s bản chính", n="{n}"),
        "ban_chung_thuc": _("%(n)s bản sao chứng thực", n="{n}"),
        "ban_photo": _("%(n)s bản chụp", n="{n}"),
    }
    parts = [labels[k].replace("{n}", str(component[k])) for k in COPIES if component.get(k)]
    return ", ".join(parts)


def _view(fields: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The read model's fields with the words the page shows (English field names in English)."""
    return [
        {
            **f,
            "title": (f.get("name_en") or f["name"]) if lang == "en" else f["name"],
            "procedures": [
                {
                    **p,
                    "time": deadline_text(p["deadline"]),
                    "components": [{**c, "copies": copies_text(c)} for c in p["components"]],
                }
                for p in f["procedures"]
            ],
        }
        for f in fields
    ]


@bp.get(PATH)
@limiter.limit(public_limit)
def procedures_page() -> Response:
    """The public list; ?q= keeps the procedures whose name, code or field has every word."""
    query = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    lang = str(get_locale() or "vi")
    fields = _view(public_catalogue(query), lang)
    found = sum(len(f["procedures"]) for f in fields)
    page = render_template(
        "phone/procedures.html",
        lang=lang,
        office=office(),
        info=reference.office_info(),
        fields=fields,
        query=query,
        found=found,
        link=procedures_url(),
    )
    resp = Response(page)
    resp.headers["Cache-Control"] = "no-cache"  # public, but always the office's current list
    return resp


@bp.get(PATH + "/qr.svg")
@limiter.limit(public_limit)
def procedures_qr() -> Response:
    """The QR to the list (kiosk home screen, board, the printed list)."""
    resp = Response(qr_svg(procedures_url()), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp
