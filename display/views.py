"""The lobby board (`/display`): a paired board device shows calls, queues and speaks the calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from core.errors import DomainError
from lobby import services
from lobby.auth import current_device

bp = Blueprint(
    "display",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/display/static",
)

# Clips almost every call needs: fetched once when the board loads, so the first call is on time.
PRELOAD_CLIPS = ("chime", "pause", "xin_moi_cong_dan_co_so_thu_tu", "den_quay_so")


def _not_paired(message: str, status: int) -> tuple[str, int]:
    return render_template("display/not_paired.html", message=message), status


@bp.get("/display")
def board() -> Any:
    """Only a paired board device sees the board; anything else gets a friendly pairing page."""
    try:
        principal = current_device()
    except DomainError:  # a revoked bearer token: the same advice as an unpaired screen
        return _not_paired(_("Mã thiết bị không hợp lệ hoặc đã bị thu hồi."), 401)
    device = principal.device if principal is not None else None
    if device is None:
        return _not_paired(
            _(
                "Mở liên kết ghép nối của màn hình này một lần trên thiết bị để hiển thị bảng gọi số."
            ),
            401,
        )
    if device.kind != "board":
        return _not_paired(_("Thiết bị này không phải là màn hình gọi số."), 403)
    office = services.office()
    snapshot = services.board_snapshot(device)
    return render_template(
        "display/board.html",
        snapshot=snapshot,
        timezone=office.timezone,
        preload=[f"/voice/vi/{clip}" for clip in PRELOAD_CLIPS],
    )
