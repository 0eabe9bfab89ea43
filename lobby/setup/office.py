"""The office itself: its details, the dossier rules the law leaves open, its working hours;
and what /admin/setup shows (setup_view)."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from sqlalchemy import select

from core.access import DeviceKind
from core.deadlines import DueMode
from core.errors import InvalidRequest
from lobby.context import office, office_setting, publish_after_commit
from lobby.dossiers.rules import DEFAULT_SETTINGS, setting
from lobby.events import SNAPSHOT, display_room
from lobby.extensions import db
from lobby.forms import form_text, form_whole
from lobby.models import Device, Office, WorkingWindow
from lobby.queue.leaving import delay_rules
from lobby.queue.views import ANNOUNCEMENT, board_snapshot
from lobby.setup.catalogue import fields_in_order
from lobby.setup.counters import counters_in_order
from lobby.tx import transaction

MAX_INTERLEAVE = 10
MAX_ANNOUNCEMENT = 120  # one line across the bottom of the board
# "Để người sau lên trước" from the phone: how far back (places) and how often (0 = never).
MAX_DELAY_PLACES = 20
MAX_DELAYS = 5
AGENCY_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,59}")
# The rules the law leaves open (DOMAIN §2, §5, §6): each with the values it may take. A
# dossier keeps the rules it was accepted under; a change applies to the next one.
RULE_CHOICES: dict[str, tuple[str, ...]] = {
    "due_mode": tuple(mode.value for mode in DueMode),
    "timeliness_boundary": ("due_day", "due_moment"),
    "supplement_clock": ("restart", "pause"),
    "rating_levels": ("3", "5"),
}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
SESSIONS = ("am", "pm")  # a morning and an afternoon window per day, as offices work
# The two kinds of working hours, by the prefix of their form fields: when the kiosk issues
# numbers, and when dossiers are received (working-hour deadlines count these).
HOURS_FORMS = {"ticketing": "h", "reception": "r"}


# --- the office ------------------------------------------------------------------------------


def update_office(form: Any) -> None:
    """Name, parent authority, province, address, hotline; the queue rule's settings."""
    name = form_text(form.get("name"), "tên đơn vị", "name")
    parent = form_text(
        form.get("parent_authority"), "cơ quan chủ quản", "parent_authority", required=False
    )
    province = form_text(
        form.get("province"), "tỉnh, thành phố", "province", required=False, limit=120
    )
    address = form_text(form.get("address"), "địa chỉ", "address", required=False)
    hotline = form_text(
        form.get("hotline"), "số điện thoại đường dây nóng", "hotline", required=False, limit=40
    )
    interleave = form_whole(
        form.get("interleave_n"),
        "số lượt thường giữa hai lượt ưu tiên",
        "interleave_n",
        0,
        MAX_INTERLEAVE,
    )
    # An empty or missing box keeps the current value (lobby.queue.leaving.delay_rules).
    delay = {
        "delay_places": form_whole(
            form.get("delay_places"),
            "số người được lên trước khi nhường lượt",
            "delay_places",
            1,
            MAX_DELAY_PLACES,
            blank=True,
        ),
        "delay_max": form_whole(
            form.get("delay_max"),
            "số lần nhường lượt của một phiếu",
            "delay_max",
            0,
            MAX_DELAYS,
            blank=True,
        ),
    }
    with transaction():
        o = office()
        o.name, o.parent_authority, o.province = name, parent, province
        o.address, o.hotline, o.interleave_n = address, hotline, interleave
        o.priority_counter_serves_normal = bool(form.get("priority_counter_serves_normal"))
        changed = {k: v for k, v in delay.items() if v is not None}
        if changed:
            o.settings = {**(o.settings or {}), **changed}  # a new dict: the JSON column sees it


# Decree 118/2025 (lobby.dossiers.rules): (setting, its name in messages, the largest value)
DECREE_118_LIMITS = (
    ("supplement_requests_max", "số lần yêu cầu bổ sung tối đa", 5),
    ("reappointments_max", "số lần hẹn lại tối đa", 5),
    ("apology_lead_working_hours", "số giờ làm việc gửi phiếu xin lỗi trước hạn", 40),
)


def update_dossier_rules(form: Any) -> None:
    """The agency code in dossier codes, and the rules of DOMAIN that the law leaves open."""
    agency = form_text(form.get("agency_code"), "mã đơn vị trong mã hồ sơ", "agency_code", limit=60)
    if not AGENCY_CODE.fullmatch(agency):
        raise InvalidRequest(
            "Mã đơn vị gồm chữ, số, dấu chấm và gạch ngang (VD: 000.00.00.H00).",
            field="agency_code",
        )
    rules: dict[str, Any] = {}
    for name, allowed in RULE_CHOICES.items():
        value = form.get(name)
        if value not in allowed:
            raise InvalidRequest("Lựa chọn không hợp lệ.", field=name, allowed=list(allowed))
        rules[name] = int(value) if name == "rating_levels" else value
    rules["due_soon_working_hours"] = float(
        form_whole(
            form.get("due_soon_working_hours"),
            "số giờ báo sắp đến hạn",
            "due_soon_working_hours",
            1,
            80,
        )
    )
    for name, label, high in DECREE_118_LIMITS:  # left out of a form: kept as they are
        if form.get(name) not in (None, ""):
            rules[name] = form_whole(form.get(name), label, name, 0, high)
    if "apology_lead_working_hours" in rules:
        rules["apology_lead_working_hours"] = float(rules["apology_lead_working_hours"])
    rules["saturday_counts"] = bool(form.get("saturday_counts"))
    rules["hide_applicant_name"] = bool(form.get("hide_applicant_name"))
    assert set(rules) <= set(DEFAULT_SETTINGS)
    with transaction():
        o = office()
        o.agency_code = agency
        o.settings = {**(o.settings or {}), **rules}  # a new dict: the JSON column sees it


def update_announcement(form: Any) -> str:
    """The line the boards show (a holiday notice, a closed counter...); empty hides it. Every
    board gets a fresh snapshot after the commit (the path a reconnect takes), so the line
    appears or goes at once. Returns the text kept (spaces collapsed, one line)."""
    text = " ".join(
        form_text(
            form.get("announcement"),
            "thông báo trên màn hình",
            "announcement",
            required=False,
            limit=MAX_ANNOUNCEMENT,
        ).split()
    )
    with transaction():
        o = office()
        # A new dict: the JSON column sees it.
        o.settings = {**(o.settings or {}), ANNOUNCEMENT: text}
        db.session.flush()
        boards = db.session.scalars(
            select(Device).where(
                Device.office_id == o.id, Device.kind == DeviceKind.BOARD, Device.active
            )
        ).all()
        for board in boards:
            publish_after_commit(SNAPSHOT, board_snapshot(board), [display_room(board.id)])
    return text


def dossier_rules(o: Office) -> dict[str, Any]:
    return {
        name: setting(o, name)
        for name in (
            *RULE_CHOICES,
            "due_soon_working_hours",
            *(name for name, _label, _high in DECREE_118_LIMITS),
            "saturday_counts",
            "hide_applicant_name",
        )
    }


# --- hours -----------------------------------------------------------------------------------


def _clock_time(value: Any, where: str) -> time | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        value = time.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is not None:  # office wall-clock time, e.g. 07:30
        raise InvalidRequest(f"{where}: giờ phải có dạng HH:MM.", field="hours")
    return value.replace(second=0, microsecond=0)


def _hour_spans(form: Any, prefix: str) -> list[tuple[int, time, time]]:
    """(weekday, start, end) of every window filled in, checked: both ends, in order."""
    spans: list[tuple[int, time, time]] = []
    for weekday, day in enumerate(WEEKDAYS):
        for session in SESSIONS:
            where = f"{day}, {'sáng' if session == 'am' else 'chiều'}"
            start = _clock_time(form.get(f"{prefix}{weekday}_{session}_start"), where)
            end = _clock_time(form.get(f"{prefix}{weekday}_{session}_end"), where)
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise InvalidRequest(f"{where}: cần cả giờ bắt đầu và giờ kết thúc.", field="hours")
            if not start < end:
                raise InvalidRequest(f"{where}: giờ kết thúc phải sau giờ bắt đầu.", field="hours")
            if spans and spans[-1][0] == weekday and spans[-1][2] > start:
                raise InvalidRequest(
                    f"{day}: buổi chiều phải bắt đầu sau buổi sáng.", field="hours"
                )
            spans.append((weekday, start, end))
    if not spans:
        raise InvalidRequest("Cần ít nhất một khung giờ làm việc.", field="hours")
    return spans


def update_hours(form: Any, purpose: str) -> None:
    """Up to a morning and an afternoon window per weekday, an empty pair for none."""
    spans = _hour_spans(form, HOURS_FORMS[purpose])
    with transaction():
        o = office()
        for old in db.session.scalars(
            select(WorkingWindow).where(
                WorkingWindow.office_id == o.id, WorkingWindow.purpose == purpose
            )
        ):
            db.session.delete(old)
        for weekday, start, end in spans:
            db.session.add(
                WorkingWindow(
                    office_id=o.id, weekday=weekday, start=start, end=end, purpose=purpose
                )
            )


def _hours(office_id: int, purpose: str) -> list[dict[str, Any]]:
    """Per weekday its number and its windows by session, for the form."""
    rows = db.session.scalars(
        select(WorkingWindow)
        .where(WorkingWindow.office_id == office_id, WorkingWindow.purpose == purpose)
        .order_by(WorkingWindow.weekday, WorkingWindow.start)
    )
    by_day: dict[int, list[WorkingWindow]] = {}
    for w in rows:
        by_day.setdefault(w.weekday, []).append(w)
    days = []
    for weekday in range(len(WEEKDAYS)):
        windows: list[WorkingWindow | None] = list(by_day.get(weekday, [])[:2])
        if len(windows) == 1 and windows[0] is not None and windows[0].start >= time(12):
            windows = [None, windows[0]]  # an afternoon alone
        cells = {}
        for session, w in zip(SESSIONS, [*windows, None, None], strict=False):
            cells[session] = (w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) if w else ("", "")
        days.append({"weekday": weekday, **cells})
    return days


# --- the page --------------------------------------------------------------------------------


def setup_view() -> dict[str, Any]:
    """What the page shows: the office, every field, every counter with the fields it serves."""
    o = office()
    fields = fields_in_order(o.id)
    counters = counters_in_order(o.id)
    served = {f.id for c in counters if c.active for f in c.fields}
    return {
        "office": o,
        "fields": fields,
        "unserved": [f for f in fields if f.active and f.id not in served],
        "counters": counters,
        "hours": {purpose: _hours(o.id, purpose) for purpose in HOURS_FORMS},
        "rules": dossier_rules(o),
        "max_interleave": MAX_INTERLEAVE,
        "announcement": office_setting(o, ANNOUNCEMENT, ""),
        "max_announcement": MAX_ANNOUNCEMENT,
        "delay": dict(zip(("places", "most"), delay_rules(o), strict=True)),
        "max_delay_places": MAX_DELAY_PLACES,
        "max_delays": MAX_DELAYS,
    }
