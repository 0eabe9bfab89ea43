"""The ticket kiosk: a paired kiosk device picks a field and a priority group and gets a number."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from core.access import DeviceKind
from core.numbering import hours_text
from core.tickets import PRIORITY_GROUPS
from lobby import context
from lobby.auth import Principal, Unauthorized, current_device
from lobby.context import ticket_url
from lobby.notify.settings import GATEWAY
from lobby.notify.settings import adapters as notify_adapters
from lobby.qr import qr_svg
from lobby.queue import reference
from lobby.queue import views as queue_views
from lobby.reception import schedule, words
from lobby.web import unpaired_page

bp = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)

IDLE_SECONDS = 15  # DOMAIN §10: a kiosk resets after about 15 s without a tap
RESULT_SECONDS = 30  # the ticket stays longer: older citizens read the number and the QR slowly
CHOICE_IDLE_SECONDS = 30  # the priority question gets longer: people read it, some slowly


def _kiosk_principal() -> Principal | None:
    """The caller when it is a paired, active kiosk device; None for anyone else."""
    try:
        principal = current_device()
    except Unauthorized:  # a revoked or mistyped bearer token: same as not paired
        return None
    if principal is None or principal.device is None or principal.device.kind != DeviceKind.KIOSK:
        return None
    return principal


def priority_choices() -> list[dict[str, str]]:
    """The priority question's answers, in the order DOMAIN §13 lists them."""
    labels = {
        "elderly": _("Người cao tuổi (từ 60 tuổi)"),
        "disabled": _("Người khuyết tật"),
        "pregnant": _("Phụ nữ mang thai"),
        "meritorious": _("Người có công"),
    }
    return [{"code": code, "label": labels.get(code, code)} for code in PRIORITY_GROUPS]


def kiosk_strings(outside_hours: str) -> dict[str, str]:
    """Every sentence the kiosk script shows, translated on the server ({x} are placeholders)."""
    return {
        "waiting": _("Đang chờ: %(n)s người", n="{n}"),
        "limit_reached": _("Lĩnh vực này đã hết số trong ngày"),
        "closed_now": _("Ngoài giờ lấy số"),
        "outside_hours": outside_hours,
        "ahead": _("Số người chờ trước: %(n)s", n="{n}"),
        "eta": _("Thời gian chờ dự kiến: khoảng %(m)s phút", m="{m}"),
        "next_up": _("Quý khách sắp được gọi, vui lòng chú ý màn hình gọi số"),
        "take_ticket": _("Vui lòng nhận phiếu số thứ tự"),
        "remember_number": _("Vui lòng ghi nhớ số thứ tự của quý khách"),
        "printing": _("Đang in phiếu, vui lòng chờ…"),
        "paper_out": _("Máy in hết giấy, vui lòng liên hệ cán bộ hướng dẫn"),
        "printer_offline": _("Máy in chưa sẵn sàng, vui lòng liên hệ cán bộ hướng dẫn"),
        "countdown": _("Màn hình sẽ trở về trang chủ sau %(s)s giây", s="{s}"),
        "offline": _("Mất kết nối tới máy chủ, đang thử lại…"),
        "gave_up": _(
            "Chưa lấy được số vì mất kết nối tới máy chủ. "
            "Vui lòng thử lại sau ít phút hoặc liên hệ cán bộ hướng dẫn."
        ),
        "unknown_error": _("Không lấy được số. Vui lòng thử lại hoặc liên hệ cán bộ hướng dẫn."),
        "reloading": _("Màn hình đang được tải lại…"),
        "field": _("Lĩnh vực: %(name)s", name="{name}"),
        "same_day": _("Giải quyết trong ngày"),
        "unit_day": _("ngày làm việc"),
        "unit_hour": _("giờ làm việc"),
        "no_procedures": _("Vui lòng hỏi cán bộ hướng dẫn về thủ tục của lĩnh vực này."),
        "priority": _("ƯU TIÊN – %(group)s", group="{group}"),
    }


def localised(fields: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """In English each field shows its English name (name_en), when the office gave one."""
    if lang != "en":
        return fields
    return [{**f, "name": f.get("name_en") or f["name"]} for f in fields]


def _outside_hours_message() -> str:
    hours = hours_text(reference.windows(context.office()), purpose="ticketing")
    if hours:
        return _("Ngoài giờ lấy số. Vui lòng quay lại trong giờ làm việc: %(hours)s", hours=hours)
    return _("Ngoài giờ lấy số. Hiện chưa có lịch giờ lấy số.")


@bp.get("/kiosk")
def kiosk() -> Any:
    """The kiosk page for a paired kiosk; anyone else gets the pairing explanation."""
    principal = _kiosk_principal()
    if principal is None:
        return unpaired_page("kiosk")
    device = principal.device
    office = context.office()
    # The reception field ("Gặp lãnh đạo / Tiếp công dân") only on a day with a session.
    codes = schedule.kiosk_hides(reference.board_field_codes(device))
    lang = str(get_locale() or "vi")
    fields = localised(
        [s for s in queue_views.services_list()["services"] if s["code"] in codes], lang
    )
    outside = _outside_hours_message()
    config = {
        "fields": codes,
        "services": fields,
        "strings": kiosk_strings(outside),
        "idle_seconds": IDLE_SECONDS,
        "choice_idle_seconds": CHOICE_IDLE_SECONDS,
        "result_seconds": current_app.config.get("LOBBY_KIOSK_RESULT_SECONDS", RESULT_SECONDS),
        "lang": lang,
        "priorities": {p["code"]: p["label"] for p in priority_choices()},
    }
    resp = Response(
        render_template(
            "kiosk/kiosk.html",
            office=office,
            services=fields,
            priorities=priority_choices(),
            strings=config["strings"],
            config=config,
            texting=GATEWAY in notify_adapters(),
            reception=_reception(codes, fields),
        )
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _reception(codes: list[str], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The reception panel's sessions and duty, and the reception field when offered today."""
    data = schedule.public_schedule()
    code = schedule.reception_field_code()
    name = next((f["name"] for f in fields if f["code"] == code), "")
    return {
        "sessions": words.with_words(data["sessions"]),
        "duty": data["duty_today"],
        "today_open": bool(name) and code in codes,
        "field_name": name,
    }


@bp.get("/kiosk/qr.svg")
def ticket_qr() -> Response:
    """The QR of a ticket's phone link; the server builds the link, never from arbitrary text."""
    if _kiosk_principal() is None:
        abort(404)
    ticket = reference.ticket_by_token(request.args.get("token", ""))
    if ticket is None:
        abort(404)
    resp = Response(qr_svg(ticket_url(ticket)), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=600"
    return resp
