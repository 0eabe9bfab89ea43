"""What the sample history (lobby/setup/history.py) draws for one dossier and one rating, and
the shapes both share: the office read once and the ids handed out. Fictitious names, marked
as sample data like the rest of the demo."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.calendar import WorkingCalendar
from core.deadlines import (
    DeadlineUnit,
    DueMode,
    add_working_hours,
    due_at,
    timeliness,
    working_hours_between,
)
from core.dossiers import DossierAction, DossierStatus, IdType, dossier_code, next_dossier_status
from lobby.models import Counter, Field, Office, Procedure

RECEPTION_UNIT = "Bộ phận tiếp nhận và trả kết quả"
PROCESSING_UNIT = "Công chức chuyên môn"
COMMENTS = [
    "Cán bộ nhiệt tình, hướng dẫn rõ ràng.",
    "Chờ hơi lâu vào buổi sáng.",
    "Thủ tục nhanh gọn, cảm ơn.",
    "Nên có thêm ghế ngồi chờ.",
    "Cán bộ giải thích chưa rõ.",
    "Màn hình gọi số dễ theo dõi.",
]
# Fictitious names (sample data), drawn as family + middle + given name.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Thu"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khang", "Lan", "Mai", "Nam", "Phúc", "Yến"]
SUPPLEMENT_REASON = "Thiếu giấy tờ trong thành phần hồ sơ (dữ liệu mẫu)."


@dataclass
class Ids:
    """The next id of each table: rows are written with their ids (one executemany per table,
    no round trip per row); PostgreSQL's sequences are moved past them at the end."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table] - 1


@dataclass
class SampleOffice:
    """What the drawing needs of the office, read once."""

    o: Office
    tz: ZoneInfo
    cal: WorkingCalendar
    fields: dict[str, Field]
    counters_of: dict[int, list[Counter]]  # field id → counters serving it (not the priority)
    priority: Counter | None
    staff_of: dict[int, int | None]  # counter id → officer id
    procedures: dict[str, list[Procedure]]  # field code → procedures a dossier is accepted for
    rules: dict[str, Any]
    levels: list[str]
    pin_hash: str


def _due(info: SampleOffice, at: datetime, p: Procedure) -> datetime:
    return due_at(
        at,
        p.deadline_value,
        DeadlineUnit(p.deadline_unit),
        info.cal,
        info.tz,
        mode=DueMode(info.rules["due_mode"]),
        same_day_cutoff=p.same_day_cutoff or time(15, 0),
    )


@dataclass
class _Path:
    """How far a sample dossier got by `now`: its events, due moments and outcome."""

    events: list[tuple[datetime, DossierAction | None, dict[str, Any]]]
    due: datetime
    original_due: datetime
    unit: str = RECEPTION_UNIT
    supplement_at: datetime | None = None
    ready: datetime | None = None
    returned: datetime | None = None
    timely: str | None = None


def draw_dossier(
    info: SampleOffice,
    rng: random.Random,
    ids: Ids,
    batch: dict[str, list[dict[str, Any]]],
    now: datetime,
    ticket: dict[str, Any],
    p: Procedure,
    seq: int,
) -> int:
    """A dossier accepted while serving `ticket`, followed through as far as `now` allows."""
    received = ticket["finished_at"] - timedelta(seconds=30)
    applicant_id = _draw_applicant(info, rng, ids, batch)
    dossier_id = ids.take("dossiers")
    due = _due(info, received, p)
    path = _Path(events=[(received, None, {})], due=due, original_due=due)
    _handle(info, rng, now, p, path)
    _finish(info, rng, now, path)
    status = _event_rows(ids, batch, dossier_id, ticket["staff_id"], path)
    o = info.o
    batch["dossiers"].append(
        {
            "id": dossier_id,
            "office_id": o.id,
            "code": dossier_code(
                o.agency_code or "000.00.00.H00",
                received.astimezone(info.tz).date(),
                seq,
                (o.settings or {}).get("dossier_code_format", "{agency}-{yymmdd}-{seq:04d}"),
            ),
            "public_token": secrets.token_urlsafe(18),
            "lookup_pin_hash": info.pin_hash,
            "lookup_failures": 0,
            "lookup_locked_until": None,
            "procedure_id": p.id,
            "applicant_id": applicant_id,
            "ticket_id": ticket["id"],
            "counter_id": ticket["counter_id"],
            "staff_id": ticket["staff_id"],
            "channel": "truc_tiep",
            "resolving_office": o.name,
            "current_unit": path.unit,
            "components": list(p.components or []),
            "sets_count": 1,
            # Three in four scanned at intake (Decision 766, 4.2); no draw, so the seeded
            # history stays the same rows.
            "digitised": dossier_id % 4 != 0,
            "received_at": received,
            "due_at": path.due,
            "original_due_at": path.original_due,
            "new_due_at": None,
            "apology": "",
            "status_code": int(status),
            "supplement_requested_at": path.supplement_at,
            "result_ready_at": path.ready,
            "returned_at": path.returned,
            "timeliness": path.timely,
            "return_place": f"{RECEPTION_UNIT} – {o.name}",
            "fee_method": "",
            "rules": info.rules,
        }
    )
    return dossier_id


def _draw_applicant(
    info: SampleOffice, rng: random.Random, ids: Ids, batch: dict[str, list[dict[str, Any]]]
) -> int:
    """A fictitious applicant (encrypted like a real one when the rows are written)."""
    applicant_id = ids.take("applicants")
    batch["applicants"].append(
        {
            "id": applicant_id,
            "office_id": info.o.id,
            "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "id_number": f"0{rng.randrange(10**10, 10**11)}",
            "id_type": IdType.CCCD.value,
            "phone": f"09{rng.randrange(10**7, 10**8)}",
            "email": None,
            "address": None,
        }
    )
    return applicant_id


def _handle(
    info: SampleOffice, rng: random.Random, now: datetime, p: Procedure, path: _Path
) -> None:
    """Handed to the processing unit; one in twelve sent back for a supplement, then completed."""
    received = path.events[0][0]
    handed = received + timedelta(minutes=rng.uniform(10, 120))
    if handed < now:
        path.events.append(
            (handed, DossierAction.HANDOVER, {"from_unit": path.unit, "to_unit": PROCESSING_UNIT})
        )
        path.unit = PROCESSING_UNIT
    if not (handed < now and rng.random() < 0.08):
        return
    asked = handed + (path.due - handed) * rng.uniform(0.1, 0.5)
    if asked >= now:
        return
    path.events.append((asked, DossierAction.REQUEST_SUPPLEMENT, {"reason": SUPPLEMENT_REASON}))
    path.supplement_at = asked
    back = asked + timedelta(hours=rng.uniform(20, 120))
    if back >= now:
        return
    path.events.append((back, DossierAction.SUPPLEMENT_RECEIVED, {}))
    path.supplement_at = None
    # restart (the default): time runs again from the complete dossier; pause: the working
    # hours it waited are added (lobby.dossiers.operations).
    if info.rules["supplement_clock"] == "pause":
        paused = working_hours_between(asked, back, info.cal, info.tz)
        path.due = add_working_hours(path.due, paused, info.cal, info.tz)
    else:
        path.due = _due(info, back, p)
    path.original_due = path.due


def _finish(info: SampleOffice, rng: random.Random, now: datetime, path: _Path) -> None:
    """The result: early, on the due day or late (judged by core's rule), then collected."""
    if path.supplement_at is not None or path.events[-1][0] >= now:
        return
    start = path.events[-1][0]
    due = path.due
    fate = rng.random()
    if fate < 0.06:  # late
        ready = due + timedelta(hours=rng.uniform(20, 120))
    elif fate < 0.25 or due - start < timedelta(hours=2):  # on the due day
        ready = max(start + timedelta(minutes=5), due - timedelta(minutes=rng.uniform(5, 90)))
    else:  # early
        ready = start + (due - start) * rng.uniform(0.2, 0.7)
    if ready >= now:
        return
    path.ready = ready
    path.events.append((ready, DossierAction.RESULT_READY, {}))
    path.timely = timeliness(
        ready, path.original_due, info.tz, info.cal, boundary=info.rules["timeliness_boundary"]
    ).value
    back_for_it = ready + timedelta(hours=rng.uniform(1, 72))
    if back_for_it < now and rng.random() < 0.9:
        path.events.append((back_for_it, DossierAction.RETURN, {}))
        path.returned = back_for_it


def _event_rows(
    ids: Ids,
    batch: dict[str, list[dict[str, Any]]],
    dossier_id: int,
    staff: int | None,
    path: _Path,
) -> DossierStatus:
    """The control sheet's rows (each state the dossier passed), as the real use cases write
    them; the status they lead to."""
    status = DossierStatus.ACCEPTED
    for at, action, extra in path.events:
        before = None if action is None else status
        if action is not None:
            status = next_dossier_status(status, action) or status
        batch["dossier_events"].append(
            {
                "id": ids.take("dossier_events"),
                "dossier_id": dossier_id,
                "at": at,
                "action": (action or DossierAction.ACCEPT).value,
                "from_status": None if before is None else int(before),
                "to_status": int(status),
                "actor_staff_id": staff,
                "source": "counter",
                "from_unit": extra.get("from_unit", ""),
                "to_unit": extra.get("to_unit", ""),
                "reason": extra.get("reason", ""),
                "items": [],
                "new_due_at": None,
                "note_internal": "",
            }
        )
    return status


def draw_rating(
    info: SampleOffice,
    rng: random.Random,
    ids: Ids,
    batch: dict[str, list[dict[str, Any]]],
    ticket: dict[str, Any],
    dossier_id: int | None,
) -> None:
    """About one citizen in six rates (as the issue's year: 50,000 ratings for 300,000 tickets);
    most pleased, a few not; one in seven with a comment."""
    roll = rng.random()
    levels = info.levels
    if len(levels) == 5:
        level = levels[
            0 if roll < 0.6 else 1 if roll < 0.85 else 2 if roll < 0.95 else 3 if roll < 0.99 else 4
        ]
    else:
        level = levels[0 if roll < 0.65 else 1 if roll < 0.95 else 2]
    batch["ratings"].append(
        {
            "id": ids.take("ratings"),
            "office_id": info.o.id,
            "ticket_id": ticket["id"],
            "dossier_id": dossier_id,
            "counter_id": ticket["counter_id"],
            "staff_id": ticket["staff_id"],
            "field_id": ticket["field_id"],
            "channel": "counter_tablet" if rng.random() < 0.7 else "qr_phone",
            "level": level,
            "comment": rng.choice(COMMENTS) if rng.random() < 0.15 else "",
            "created_at": ticket["finished_at"] + timedelta(seconds=rng.uniform(5, 120)),
        }
    )
