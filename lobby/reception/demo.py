"""The demo office's reception desk (`flask demo`): a "Gặp lãnh đạo / Tiếp công dân" field,
marked as the reception field, a counter for it, the chairman's sessions on the 2nd and 4th
Thursday mornings, leaders on duty at the desk every working day, and one thematic session.
Fictitious names (DOMAIN §11). Kept apart from lobby.setup.demo: the office most tests load has
no reception desk, so their counts of fields and counters do not change."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import func, select

from core.reception import Kind, Mode, Repeat
from lobby.context import office, today
from lobby.extensions import db
from lobby.models import Counter, Field
from lobby.reception.models import ReceptionEntry
from lobby.reception.schedule import RECEPTION_FIELD
from lobby.tx import transaction

FIELD = ("tiep_cong_dan", "L", "Gặp lãnh đạo / Tiếp công dân", "Meet a leader / Citizen reception")
COUNTER = (6, "Phòng tiếp công dân")
PLACE = "Phòng tiếp công dân, trụ sở UBND xã (dữ liệu mẫu)"
DESK = "Bộ phận Một cửa, Trung tâm Phục vụ hành chính công"
CHAIRMAN = ("Huỳnh Văn Chánh", "Chủ tịch UBND xã")
DEPUTY = ("Lê Thị Phó", "Phó Chủ tịch UBND xã")
DIRECTOR = ("Trần Thị Mẫu", "Giám đốc Trung tâm")


def add_reception_demo() -> dict[str, Any]:
    """Add the reception desk and schedule to the demo office (once: a second call adds
    nothing)."""
    with transaction():
        o = office()
        found = db.session.scalar(
            select(Field).where(Field.office_id == o.id, Field.code == FIELD[0])
        )
        if found is not None:
            return {"field": FIELD[0], "added": False}
        order = db.session.scalar(select(func.max(Field.sort_order)).where(Field.office_id == o.id))
        field = Field(
            office_id=o.id,
            code=FIELD[0],
            ticket_prefix=FIELD[1],
            name_vi=FIELD[2],
            name_en=FIELD[3],
            color="#ad1457",
            sort_order=(order or 0) + 1,
        )
        db.session.add(field)
        db.session.add(Counter(office_id=o.id, number=COUNTER[0], name=COUNTER[1], fields=[field]))
        o.settings = {**(o.settings or {}), RECEPTION_FIELD: FIELD[0]}
        start = today(o).replace(day=1)
        for row in _entries(start):
            db.session.add(ReceptionEntry(office_id=o.id, active=True, **row))
        db.session.flush()
        return {"field": FIELD[0], "added": True}


def _entries(start: date) -> list[dict[str, Any]]:
    morning, afternoon = (time(7, 30), time(11, 30)), (time(13, 30), time(17, 0))
    rows = [
        _row(Kind.PERIODIC, CHAIRMAN, PLACE, start, morning, Repeat(3, (2, 4)).code()),
    ]
    for weekday in range(5):  # the leader on duty at the desk, every working day
        who = DIRECTOR if weekday in (1, 3) else DEPUTY
        rows.append(_row(Kind.DUTY, who, DESK, start, morning, Repeat(weekday).code()))
    thematic = start + timedelta(days=45)
    while thematic.weekday() != 1:  # a Tuesday afternoon, about six weeks on
        thematic += timedelta(days=1)
    rows.append(_row(Kind.THEMATIC, DEPUTY, PLACE, thematic, afternoon, "", Mode.ONLINE))
    return rows


def _row(
    kind: Kind,
    who: tuple[str, str],
    place: str,
    day: date,
    hours: tuple[time, time],
    repeat: str,
    mode: Mode = Mode.IN_PERSON,
) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "mode": mode.value,
        "official_name": who[0],
        "official_title": who[1],
        "place": place,
        "day": day,
        "start": hours[0],
        "end": hours[1],
        "repeat": repeat,
        "note": "",
    }
