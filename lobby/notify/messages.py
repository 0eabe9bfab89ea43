"""What each event says: a short Vietnamese text (an SMS, a push notification's body) and its
data (a Zalo ZNS template's parameters). No personal data: a ticket's number, a counter, a
dossier's code and status, dates."""

from __future__ import annotations

from typing import Any

# Events a citizen is told of (the gateway's X-Lobby-Event, docs/notifications.md).
TICKET_NEAR = "ticket.near"
TICKET_CALLED = "ticket.called"
TICKET_RECALLED = "ticket.recalled"
DOSSIER_RECEIVED = "dossier.received"
DOSSIER_SUPPLEMENT = "dossier.supplement_requested"
DOSSIER_REFUSED = "dossier.refused"
DOSSIER_STOPPED = "dossier.stopped"
DOSSIER_RESULT_READY = "dossier.result_ready"
DOSSIER_RETURNED = "dossier.returned"
DOSSIER_APOLOGY = "dossier.apology"

TICKET_EVENTS = (TICKET_NEAR, TICKET_CALLED, TICKET_RECALLED)

# A dossier change (lobby.dossiers.changes' event, or the status it reached) → what we tell.
DOSSIER_BY_CHANGE = {
    "dossier.accepted": DOSSIER_RECEIVED,
    "dossier.request_supplement": DOSSIER_SUPPLEMENT,
    "dossier.stop": DOSSIER_STOPPED,
    "dossier.result_ready": DOSSIER_RESULT_READY,
    "dossier.return": DOSSIER_RETURNED,
    "dossier.apologise": DOSSIER_APOLOGY,
}
DOSSIER_BY_STATUS = {"refused": DOSSIER_REFUSED}


def ticket_message(event: str, number: str, **data: Any) -> dict[str, Any]:
    """{"title", "text", "data"} for a ticket: near (ahead=…), called or recalled (counter=…)."""
    if event == TICKET_NEAR and data["ahead"] == 0:
        text = f"Số {number}: bạn là người tiếp theo. Mời về gần quầy."
    elif event == TICKET_NEAR:
        text = f"Số {number}: còn {data['ahead']} người nữa là đến lượt bạn. Mời về gần quầy."
    elif event == TICKET_CALLED:
        text = f"Mời số {number} đến quầy {data['counter']}."
    else:
        text = f"Nhắc lại: mời số {number} đến quầy {data['counter']}."
    return {"title": f"Số thứ tự {number}", "text": text, "data": {"number": number, **data}}


def dossier_message(event: str, view: dict[str, Any]) -> dict[str, Any]:
    """{"title", "text", "data"} for a dossier, from its public view (lobby.dossiers.views)."""
    code = view["code"]
    new_date = _day(view.get("new_due_at"))
    texts = {
        DOSSIER_RECEIVED: f"Hồ sơ {code} đã được tiếp nhận. Hẹn trả: {_day(view.get('due_at'))}.",
        DOSSIER_SUPPLEMENT: f"Hồ sơ {code} cần bổ sung giấy tờ. Mời xem chi tiết tại liên kết.",
        DOSSIER_REFUSED: f"Hồ sơ {code} không được tiếp nhận. Mời xem lý do tại liên kết.",
        DOSSIER_STOPPED: f"Hồ sơ {code} đã dừng xử lý. Mời xem lý do tại liên kết.",
        DOSSIER_RESULT_READY: f"Hồ sơ {code} đã có kết quả. Mời đến nhận.",
        DOSSIER_RETURNED: f"Hồ sơ {code} đã trả kết quả. Cảm ơn ông/bà.",
        DOSSIER_APOLOGY: f"Xin lỗi ông/bà: hồ sơ {code} trả muộn, hẹn lại ngày {new_date}.",
    }
    data = {
        "code": code,
        "status": view.get("status"),
        "status_label": view.get("status_label"),
        "due_date": _day(view.get("due_at")),
        "new_due_date": new_date or None,
        "url": view.get("url"),
    }
    return {"title": f"Hồ sơ {code}", "text": texts[event], "data": data}


def _day(moment: str | None) -> str:
    """dd/mm/yyyy of an ISO moment in office time ("" when none)."""
    if not moment:
        return ""
    y, m, d = moment[:10].split("-")
    return f"{d}/{m}/{y}"
