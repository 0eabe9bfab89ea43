"""The rating tablet at a counter (/rate): three big buttons after each service, then it times out."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from lobby import dossiers, services
from lobby.auth import current_device

bp = Blueprint(
    "tablet",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/tablet/static",
)


@bp.get("/rate")
def rate() -> tuple[str, int] | str:
    principal = current_device()
    device = principal.device if principal is not None else None
    if device is None or device.kind != "tablet":
        return render_template(
            "error.html",
            status=401,
            code="unauthorized",
            message=_(
                "Thiết bị chưa được ghép nối. Mở liên kết ghép nối của máy đánh giá một lần trên thiết bị này."
            ),
        ), 401
    o = services.office()
    return render_template(
        "tablet/rate.html",
        office=o,
        device=device,
        levels=dossiers.rating_choices(),
        scale=dossiers.rating_scale(o),
    )
