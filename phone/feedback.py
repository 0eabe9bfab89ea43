"""Feedback about the desk from a citizen's phone (`/gop-y`): the form (reached from the ticket
and dossier pages, and by the QR on the kiosk's home screen) and the tracking page of one
feedback (its code, status, deadline and, once published, the answer; with a QR to itself).

The form works without JavaScript and sends the same body as POST /api/v1/feedback, through the
same use case and rate-limit bucket. No page here shows the contact or the content. Routes on
the citizen surface's blueprint (phone.views.bp).
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from core.errors import DomainError
from lobby.context import office, public_url
from lobby.feedback import intake as feedback_intake
from lobby.feedback import views as feedback_views
from lobby.feedback.rules import CONTENT_LIMIT
from lobby.qr import qr_svg
from lobby.ratelimit import FEEDBACK_SCOPE, feedback_limit, limiter, public_limit
from phone.views import _noindex, bp

PATH = "/gop-y"


def _form_page(form: dict[str, Any], error: str = "", status: int = 200) -> Response:
    page = render_template(
        "phone/feedback_form.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        topics=feedback_views.topic_choices(),
        form=form,
        error=error,
        limit=CONTENT_LIMIT,
    )
    return _noindex(Response(page, status=status))


def _tokens(source: Any) -> dict[str, str]:
    return {k: (source.get(k) or "").strip()[:64] for k in ("t", "d")}


@bp.get(PATH)
def feedback_form() -> Response:
    """The form; ?t=<ticket token> or ?d=<dossier token> links it to that visit."""
    return _form_page(_tokens(request.args))


@bp.post(PATH)
@limiter.shared_limit(feedback_limit, scope=FEEDBACK_SCOPE, methods=["POST"])
def send_feedback() -> Any:
    form = {
        **_tokens(request.form),
        "topic": request.form.get("topic") or "",
        "content": (request.form.get("content") or "")[: CONTENT_LIMIT + 1],
        "name": (request.form.get("name") or "")[:120],
        "phone": (request.form.get("phone") or "")[:40],
    }
    body = {
        "topic": form["topic"],
        "content": form["content"],
        "ticket_token": form["t"] or None,
        "dossier_token": form["d"] or None,
        "contact": {"name": form["name"] or None, "phone": form["phone"] or None},
    }
    try:
        done = feedback_intake.submit_feedback(body, "phone")
    except DomainError as exc:
        return _form_page(form, _(exc.message), exc.status)
    return redirect(f"{PATH}/{done['token']}?moi=1", code=303)


@bp.get(f"{PATH}/qr.svg")
def feedback_form_qr() -> Response:
    """The QR to the form (the kiosk's home screen)."""
    resp = Response(qr_svg(public_url(PATH.lstrip("/"))), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get(f"{PATH}/<token>")
@limiter.limit(public_limit)
def feedback_page(token: str) -> Response:
    f = feedback_views.feedback_by_token(token)
    if f is None:
        page = render_template(
            "phone/not_found.html", lang=str(get_locale() or "vi"), feedback=True
        )
        return _noindex(Response(page, status=404))
    page = render_template(
        "phone/feedback.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        fb=feedback_views.public_feedback_view(f),
        token=f.public_token,
        new=bool(request.args.get("moi")),
    )
    return _noindex(Response(page))


@bp.get(f"{PATH}/<token>/qr.svg")
@limiter.limit(public_limit)
def feedback_qr(token: str) -> Response:
    f = feedback_views.feedback_by_token(token)
    if f is None:
        return Response(status=404)
    resp = Response(qr_svg(feedback_intake.feedback_url(f)), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=600"
    return _noindex(resp)
