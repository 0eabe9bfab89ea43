"""The counter console (`/counter`): an officer takes a counter and works its queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import SUPERVISORS
from core.errors import DomainError
from core.tickets import OUTCOME_LABELS_VI, STATUS_LABELS_VI, Outcome
from lobby.auth import current_principal
from lobby.queue import views as queue_views

bp = Blueprint(
    "counter",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/counter/static",
)

# Reasons offered when pausing; the officer may type another one.
PAUSE_REASONS = (_l("Nghỉ giữa giờ"), _l("Họp"), _l("Hỗ trợ nghiệp vụ"), _l("Sự cố kỹ thuật"))


def login_redirect() -> Any:
    """Anyone not signed in goes to the sign-in page and comes back here afterwards."""
    target = request.full_path.rstrip("?") if request.query_string else request.path
    return redirect("/login?next=" + quote(target, safe="/"))


def _chosen_counter(user: Any) -> tuple[Any, str | None]:
    """The counter asked for in ?counter=, else the user's assigned one, else one they hold."""
    try:
        return queue_views.console_counter(user, request.args.get("counter")), None
    except DomainError as exc:
        return None, _(exc.message)


@bp.get("/counter")
def console() -> Any:
    """Only signed-in staff use the console; a counter held by someone else needs confirmation."""
    try:
        principal = current_principal()
    except DomainError:
        return login_redirect()
    user = principal.user
    if user is None:
        return login_redirect()
    counter, problem = _chosen_counter(user)
    holder = queue_views.counter_holder(counter)
    page = {
        "user": {"username": user.username, "full_name": user.full_name, "role": user.role},
        "counter": counter.number if counter is not None else None,
        "held_by_me": holder is not None and holder.id == user.id,
        "held_by": holder.full_name if holder is not None and holder.id != user.id else None,
        "counters": queue_views.counters_list()["counters"],
        "services": queue_views.console_fields(),
        "outcomes": [{"code": o.value, "label": _(OUTCOME_LABELS_VI[o])} for o in Outcome],
        "statuses": {s.value: _(label) for s, label in STATUS_LABELS_VI.items()},
        "pause_reasons": [str(r) for r in PAUSE_REASONS],
    }
    return render_template(
        "counter/console.html",
        page=page,
        counter=counter,
        problem=problem,
        supervises=user.role in SUPERVISORS,
        title=(_("Quầy %(n)s", n=counter.number) if counter is not None else _("Chọn quầy")),
    )
