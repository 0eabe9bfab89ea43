"""The citizen's phone page: a ticket's place in the line, live, from the QR on the ticket."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from core.errors import DomainError
from core.tickets import TERMINAL_STATUSES, TicketStatus
from lobby.context import office
from lobby.dossiers import lookup as dossier_lookup
from lobby.dossiers import pins as dossier_pins
from lobby.dossiers import ratings as dossier_ratings
from lobby.dossiers import views as dossier_views
from lobby.dossiers.views import public_ticket_view
from lobby.notify.settings import vapid_public_key
from lobby.queue import leaving, reference
from lobby.ratelimit import limiter, lookup_limit, public_limit

bp = Blueprint(
    "phone",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/phone/static",
)

POLL_SECONDS = 10  # the fallback when websockets are blocked: one small GET every 10 s


def phone_strings() -> dict[str, str]:
    """Every sentence the phone script shows, translated on the server ({x} are placeholders)."""
    return {
        "your_number": _("Số của Quý khách:"),
        "field": _("Lĩnh vực: %(name)s", name="{name}"),
        "ahead": _("Còn %(n)s người trước Quý khách", n="{n}"),
        "next_up": _("Quý khách là người tiếp theo, vui lòng chú ý màn hình gọi số"),
        "eta": _("Thời gian chờ dự kiến: khoảng %(m)s phút", m="{m}"),
        # A ticket sent to one counter (transferred there, or back in line after a no-show).
        "moved": _("Quý khách sẽ được gọi tại quầy %(n)s.", n="{n}"),
        "called": _("Đến lượt Quý khách! Mời đến quầy %(n)s", n="{n}"),
        "called_title": _("Đến lượt Quý khách!"),
        "serving": _("Quý khách đang được phục vụ tại quầy %(n)s", n="{n}"),
        "no_show": _(
            "Số của Quý khách đã được gọi nhưng vắng mặt. Vui lòng liên hệ quầy hướng dẫn"
        ),
        "done": _("Đã hoàn thành lượt phục vụ. Cảm ơn Quý khách!"),
        "cancelled": _("Số thứ tự này đã được hủy. Vui lòng liên hệ quầy hướng dẫn nếu cần."),
        # The holder left the line from this page ("Tôi không chờ nữa").
        "left": _("Quý khách đã rời hàng chờ. Số thứ tự này đã được hủy."),
        "new_number": _("Khi cần được phục vụ, mời Quý khách lấy số mới tại máy lấy số ở sảnh."),
        "expired": _("Số thứ tự này đã hết hạn (chỉ có giá trị trong ngày lấy số)."),
        "not_found": _("Không tìm thấy số thứ tự này. Phiếu có thể đã hết hạn."),
        "live": _("Đang cập nhật trực tiếp"),
        "rate_done": _("Cảm ơn quý khách đã đánh giá!"),
        "rate_chosen": _("Quý khách đã chọn: %(level)s", level="{level}"),
        "rate_error": _("Không gửi được đánh giá, vui lòng thử lại."),
        "polling": _("Đang cập nhật mỗi %(s)s giây", s=str(POLL_SECONDS)),
        "offline": _("Mất kết nối, đang thử lại…"),
        "notify_on": _("Đã bật. Điện thoại sẽ báo khi sắp đến lượt và khi được gọi."),
        "notify_denied": _(
            "Trình duyệt không cho phép thông báo. Quý khách vui lòng theo dõi màn hình."
        ),
        "notify_failed": _("Không bật được thông báo trên điện thoại này."),
    }


def state_text(
    view: dict[str, Any], strings: dict[str, str], *, left: bool = False
) -> dict[str, str]:
    """The headline and detail a ticket's status shows (the same rule the script applies);
    `left`: its holder cancelled it from this page."""
    status = view.get("status")
    counter = (view.get("counter") or {}).get("number", "")
    counter_name = (view.get("counter") or {}).get("name") or ""
    if status == TicketStatus.WAITING:
        ahead = int(view.get("ahead") or 0)
        eta = int(view.get("eta_minutes") or 0)
        head = strings["ahead"].replace("{n}", str(ahead)) if ahead > 0 else strings["next_up"]
        detail = strings["eta"].replace("{m}", str(eta)) if ahead > 0 and eta > 0 else ""
        moved_to = (view.get("next_counter") or {}).get("number")
        if moved_to is not None:  # transferred to one counter: say where to wait
            moved = strings["moved"].replace("{n}", str(moved_to))
            detail = f"{moved} {detail}".strip()
        return {"head": head, "detail": detail}
    if status == TicketStatus.CALLED:
        return {"head": strings["called"].replace("{n}", str(counter)), "detail": counter_name}
    if status == TicketStatus.SERVING:
        return {"head": strings["serving"].replace("{n}", str(counter)), "detail": counter_name}
    if status == TicketStatus.CANCELLED:
        return {"head": strings["left" if left else status], "detail": strings["new_number"]}
    if status in (TicketStatus.NO_SHOW, *TERMINAL_STATUSES):
        return {"head": strings[status], "detail": ""}
    return {"head": "", "detail": ""}


def _noindex(resp: Response) -> Response:
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the URL is the ticket's only key
    return resp


def _not_found() -> Response:
    page = render_template("phone/not_found.html", lang=str(get_locale() or "vi"))
    return _noindex(Response(page, status=404))


@bp.get("/t/<token>")
@limiter.limit(public_limit)
def ticket_page(token: str) -> Response:
    """A ticket's live status; a wrong or purged token gets a friendly 404 about nothing else."""
    ticket = reference.ticket_by_token(token)
    if ticket is None:
        return _not_found()
    notice = _("Quý khách đã nhường lượt cho người phía sau.") if request.args.get("nhuong") else ""
    return _ticket_page(ticket, notice=notice)


def _ticket_page(ticket: Any, *, notice: str = "", error: str = "", status: int = 200) -> Response:
    view = public_ticket_view(ticket)
    strings = phone_strings()
    left = leaving.left_by_citizen(ticket)
    places, _most = leaving.delay_rules(office())
    config = {
        "token": ticket.public_token,
        "view": view,
        "strings": strings,
        "poll_seconds": POLL_SECONDS,
        "ds": dossier_strings(),
        "left": left,
        # "Báo cho tôi": the VAPID public key, None (button hidden) when web push is off.
        "push_key": vapid_public_key(),
        # Loaded by phone.js after the page (issue 16): the state is already on the page.
        "socketio": url_for("static", filename="vendor/socket.io/socket.io.min.js"),
    }
    page = render_template(
        "phone/ticket.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        view=view,
        strings=strings,
        state=state_text(view, strings, left=left),
        ds=dossier_strings(),
        config=config,
        rating_levels=dossier_ratings.rating_choices(office()),
        info=reference.office_info(),
        delay_places=places,
        delays_left=leaving.delays_left(ticket),
        notice=notice,
        error=error,
    )
    return _noindex(Response(page, status=status))


@bp.post("/t/<token>/leave")
@limiter.limit(public_limit)
def leave(token: str) -> Response:
    """ "Tôi không chờ nữa", confirmed on the page (a form: works without JavaScript)."""
    return _citizen_move(token, leaving.leave)


@bp.post("/t/<token>/delay")
@limiter.limit(public_limit)
def delay(token: str) -> Response:
    """ "Để người sau lên trước", confirmed on the page."""
    return _citizen_move(token, leaving.delay, "?nhuong=1")


def _citizen_move(token: str, move: Any, then: str = "") -> Any:
    """Apply the move and show the ticket again (303), or the page with why not."""
    try:
        move(token)
    except DomainError as exc:
        ticket = reference.ticket_by_token(token)
        if ticket is None:
            return _not_found()
        return _ticket_page(ticket, error=_(exc.message), status=exc.status)
    return redirect(f"/t/{token}{then}", code=303)


def dossier_strings() -> dict[str, str]:
    return {
        "code": _("Mã hồ sơ"),
        "procedure": _("Thủ tục"),
        "applicant": _("Người nộp"),
        "received": _("Ngày tiếp nhận"),
        "due": _("Ngày hẹn trả"),
        "new_due": _("Đã hẹn lại ngày trả: %(d)s", d="{d}"),
        "collect": _("Nhận kết quả"),
        "bring": _(
            "Khi đến nhận kết quả, vui lòng mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
        ),
    }


def _dossier_page(d: Any) -> Response:
    view = dossier_views.public_dossier_view(d)
    page = render_template(
        "phone/dossier.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        dossier=view,
        ds=dossier_strings(),
        config={"dossier_token": d.public_token, "dossier": view, "ds": dossier_strings()},
    )
    return _noindex(Response(page))


@bp.get("/d/<token>")
@limiter.limit(public_limit)
def dossier_page(token: str) -> Response:
    """A dossier's public page (the QR of the receipt): status, dates, timeliness; masked name."""
    d = dossier_lookup.dossier_by_token(token)
    if d is None:
        page = render_template("phone/not_found.html", lang=str(get_locale() or "vi"), dossier=True)
        return _noindex(Response(page, status=404))
    return _dossier_page(d)


@bp.get("/tra-cuu")
def lookup_form() -> Response:
    page = render_template("phone/lookup.html", lang=str(get_locale() or "vi"), office=office())
    return _noindex(Response(page))


def _wait_text(seconds: int) -> str:
    """'Quý khách vui lòng thử lại sau khoảng N phút/giây.'"""
    if seconds > 90:
        return str(_("Quý khách vui lòng thử lại sau khoảng %(n)s phút.", n=(seconds + 59) // 60))
    return str(_("Quý khách vui lòng thử lại sau khoảng %(n)s giây.", n=max(1, seconds)))


def _lookup_page(status: int, error: str, code: str, retry_after: int | None = None) -> Response:
    """The lookup form again, with the message and the code typed (never the PIN)."""
    page = render_template(
        "phone/lookup.html",
        lang=str(get_locale() or "vi"),
        office=office(),
        error=error,
        wait=_wait_text(retry_after) if retry_after else None,
        code=code,
    )
    resp = Response(page, status=status)
    if retry_after:
        resp.headers["Retry-After"] = str(retry_after)
    return _noindex(resp)


@bp.errorhandler(RateLimitExceeded)
def _limited(exc: RateLimitExceeded) -> Any:
    """The lookup page's limit answer says when to try again and keeps the form."""
    if request.endpoint != "phone.lookup":
        handler = current_app._find_error_handler(exc, [])  # the app's own 429 answer
        return handler(exc) if handler is not None else exc
    current = limiter.current_limit
    # The limiter counts in wall-clock seconds (its storage's clock), so the wait is read the same way.
    retry = int(current.reset_at - time.time()) if current is not None else 60
    return _lookup_page(
        429,
        _("Quý khách đã tra cứu nhiều lần trong thời gian ngắn."),
        (request.form.get("code") or "").strip()[:80],
        max(1, retry),
    )


@bp.post("/tra-cuu")
@limiter.shared_limit(lookup_limit, scope=dossier_pins.LOOKUP_SCOPE, methods=["POST"])
def lookup() -> Any:
    """Lookup by dossier code (any case, spaces ignored) and the PIN printed on the receipt;
    one rate-limit bucket per address with the API's lookup, and a lock per dossier."""
    code = (request.form.get("code") or "").strip()[:80]
    pin = request.form.get("pin") or ""
    try:
        view = dossier_pins.public_lookup(code, pin)
    except dossier_pins.LookupLocked as exc:
        return _lookup_page(exc.status, _(exc.message), code, exc.details.get("retry_after"))
    except DomainError as exc:
        return _lookup_page(exc.status, _(exc.message), code)
    return redirect("/d/" + view["url"].rsplit("/d/", 1)[1], code=303)
