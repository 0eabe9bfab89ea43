"""The rating tablet at a counter (/rate): three big buttons after each service, then it times out;
and a "Góp ý, phản ánh" button for feedback about the desk, sent as the tablet."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.access import DeviceKind
from core.errors import DomainError
from lobby.auth import current_device
from lobby.context import office
from lobby.dossiers import ratings as dossier_ratings
from lobby.feedback import views as feedback_views
from lobby.web import unpaired_page

bp = Blueprint(
    "tablet",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/tablet/static",
)


@bp.get("/rate")
def rate() -> tuple[str, int] | str:
    try:
        principal = current_device()
    except DomainError:  # a revoked or mistyped token: the same advice as no pairing
        principal = None
    device = principal.device if principal is not None else None
    if device is None or device.kind != DeviceKind.TABLET:
        return unpaired_page("tablet")
    o = office()
    return render_template(
        "tablet/rate.html",
        office=o,
        device=device,
        levels=dossier_ratings.rating_choices(),
        scale=dossier_ratings.rating_scale(o),
        topics=feedback_views.topic_choices(),
    )
