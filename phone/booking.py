"""Remote tickets on the citizen's phone (`/lay-so`, 360 px): pick a field, a day and a time
slot, leave a phone number (optional), and get a code and a QR to show at the kiosk. Plain
links and forms: it works without JavaScript. Routes on the citizen surface's blueprint
(phone.views.bp); the rules are lobby.bookings'.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from core.bookings import OTP_MINUTES
from core.errors import DomainError
from lobby.bookings import booking, slots
from lobby.context import office, office_ref
from lobby.notify.settings import GATEWAY, adapters
from lobby.qr import qr_svg
from lobby.queue.reference import field_ref
from lobby.ratelimit import booking_limit, limiter, public_limit
from phone.views import bp

PATH = "/" + booking.PAGE
WEEKDAY_LABELS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def day_label(day: date) -> str:
    return f"{_(WEEKDAY_LABELS[day.weekday()])} {day.strftime('%d/%m')}"


def _page(template: str, status: int = 200, **values: Any) -> Response:
    values.setdefault("otp_minutes", OTP_MINUTES)
    page = render_template(template, lang=str(get_locale() or "vi"), office=office(), **values)
    resp = Response(page, status=status)
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # a booking's URL is its only key
    return resp


def _choices(service: str, day_text: str) -> dict[str, Any]:
    """What the form offers for the field and day chosen so far."""
    o = office_ref()
    services = slots.fields_list(o)
    chosen = next((s for s in services if s["code"] == service), None)
    days = slots.bookable_days(o)
    day = next((d for d in days if d.isoformat() == day_text), None)
    if chosen is not None and day is None and days:
        day = days[0]
    table: list[dict[str, Any]] = []
    if chosen is not None and day is not None:
        table = slots.day_table(o, field_ref(o, chosen["code"]), day)
    return {
        "services": services,
        "chosen": chosen,
        "days": [{"value": d.isoformat(), "label": day_label(d)} for d in days],
        "day": day.isoformat() if day else "",
        "table": table,
        "limits": slots.settings(o),
        # With an SMS gateway the kiosk asks a phone number: its tickets count in the limits.
        "walk_ins_count": GATEWAY in adapters(),
    }


@bp.get(PATH)
@limiter.limit(public_limit)
def booking_form() -> Response:
    service = (request.args.get("service") or "").strip()[:40]
    return _page("phone/booking.html", **_choices(service, request.args.get("day") or ""))


@bp.post(PATH)
@limiter.limit(booking_limit)
def book() -> Any:
    form = request.form
    service, day = (form.get("service") or "")[:40], (form.get("day") or "")[:10]
    try:
        made = booking.book(
            service, day, form.get("slot") or "", form.get("phone") or None, request.remote_addr
        )
    except DomainError as exc:
        nxt = exc.details.get("next_slot") if isinstance(exc.details, dict) else None
        return _page(
            "phone/booking.html",
            status=exc.status,
            error=_(exc.message),
            next_slot=nxt,
            **_choices(service, (nxt or {}).get("day") or day),
        )
    return redirect(f"{PATH}/{made['token']}", code=303)


@bp.get(PATH + "/<token>")
@limiter.limit(public_limit)
def booking_page(token: str) -> Response:
    try:
        view = booking.show(token)
    except DomainError:
        return _page("phone/not_found.html", status=404, booking=True)
    return _page(
        "phone/booked.html",
        view=view,
        day_text=day_label(date.fromisoformat(view["day"])),
    )


@bp.get(PATH + "/<token>/qr.svg")
@limiter.limit(public_limit)
def booking_qr(token: str) -> Response:
    """The booking's code as a QR, for the kiosk's scanner (it types the code and Enter)."""
    try:
        view = booking.show(token)
    except DomainError:
        return Response(status=404)
    resp = Response(qr_svg(view["code"]), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post(PATH + "/<token>/xac-nhan")
@limiter.limit(booking_limit)
def confirm(token: str) -> Any:
    """The one-time code from the SMS, typed on the booking's page."""
    try:
        booking.confirm(token, (request.form.get("otp") or "")[:20])
    except DomainError as exc:
        if exc.status == 404:
            return _page("phone/not_found.html", status=404, booking=True)
        if exc.status == 422:
            view = booking.show(token)
            return _page(
                "phone/booked.html",
                status=422,
                view=view,
                day_text=day_label(date.fromisoformat(view["day"])),
                error=_(exc.message),
            )
    return redirect(f"{PATH}/{token}", code=303)


@bp.post(PATH + "/<token>/huy")
@limiter.limit(public_limit)
def cancel(token: str) -> Any:
    try:
        booking.cancel(token)
    except DomainError as exc:
        if exc.status == 404:
            return _page("phone/not_found.html", status=404, booking=True)
    return redirect(f"{PATH}/{token}", code=303)
