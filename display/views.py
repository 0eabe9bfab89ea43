"""The lobby board (`/display`): a paired board device shows calls, queues and speaks the calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from core.access import DeviceKind
from core.errors import DomainError
from lobby import context
from lobby.auth import current_device
from lobby.queue import views as queue_views
from lobby.reception import schedule, words
from lobby.web import unpaired_page

bp = Blueprint(
    "display",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/display/static",
)

# Clips almost every call needs: fetched once when the board loads, so the first call is on time.
PRELOAD_CLIPS = ("chime", "pause", "xin_moi_cong_dan_co_so_thu_tu", "den_quay_so")


@bp.get("/display")
def board() -> Any:
    """Only a paired board device sees the board; anything else gets the pairing page."""
    try:
        principal = current_device()
    except DomainError:  # a revoked bearer token: the same advice as an unpaired screen
        return unpaired_page("board")
    device = principal.device if principal is not None else None
    if device is None or device.kind != DeviceKind.BOARD:
        return unpaired_page("board")
    office = context.office()
    snapshot = queue_views.board_snapshot(device)
    return render_template(
        "display/board.html",
        snapshot=snapshot,
        timezone=office.timezone,
        preload=[f"/voice/vi/{clip}" for clip in PRELOAD_CLIPS],
        reception=words.board_lines(schedule.public_schedule()),
    )
