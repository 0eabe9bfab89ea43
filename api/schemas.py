"""Every payload of /api/v1 declared once: the OpenAPI document (api/openapi.py) is drawn from
these classes, and the request checks the API makes itself run on them (`check()`).

Why marshmallow + apispec: they are the pair flask-smorest is built on, both well kept, small and
plain Python (no compiled core to build on the office's machines); apispec writes OpenAPI 3.1
(`type: [x, "null"]` for `allow_none`) straight from the fields, so the document cannot drift
from the checks. pydantic would do as well but brings a compiled core and models whose answers
we would not use (the routes keep returning the dicts lobby/ builds).

What a field checks and what it only documents:
- A field with `error_messages=says(...)`, `text(...)`, a `Predicate` or a `Rule` (a core/ or
  lobby/ parser reused as the validator) is checked, with the very message (and `field`, and the
  details metadata["details"][message] or the parser's own) the domain answered before: clients
  see no change. `check()` and these tools live in lobby.forms (re-exported here), so that the
  two bodies staff pages also send, accepting a dossier and a dossier event, are declared once
  in lobby/dossiers/rules.py and checked by their use cases (pages may not import api/).
- A constraint in `metadata` (`{"type": "integer"}` on a Raw field, `{"minLength": 1}`) is only
  documented: the rule needs the database (is there such a thing, the office's rating scale,
  is the move legal) and is checked in lobby/ with its own message.
- Where a lookup (404) or a database rule (409) answered before a body's mistake, the route asks
  it first (the print agent's 409, the tablet's ticket, the office's rating scale) or the use
  case checks its body in parts (`check(Schema, body, only=...)`), so the same error wins.
- Bodies accept unknown keys (unknown=INCLUDE, as the API always did); answers marked `_Closed`
  document `additionalProperties: false`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range

from core.access import CounterState
from core.clock import OUTSIDE_HOURS, SESSION_LABELS
from core.tickets import PRIORITY_GROUPS, Outcome, TicketStatus
from lobby.forms import Open, Predicate, Rule, check, gettext_noop, says, text, whole
from lobby.queue.counter_actions import TRANSFER_NOTE_MAX

# check() and its tools live in lobby.forms (a staff page checks its body with them too).
__all__ = ["Open", "Predicate", "Rule", "check", "gettext_noop", "says", "text", "whole"]

STATUSES = [t.value for t in TicketStatus]
COUNTER_STATES = [s.value for s in CounterState]


# The domain's own words (lobby/ answered them before these checks did); gettext_noop marks
# them for the catalog, lobby/errors.py translates them when it answers.
BAD_PRIORITY = gettext_noop("Nhóm ưu tiên không hợp lệ.")
NO_SERVICE = gettext_noop("Thiếu lĩnh vực (service).")
NO_NUMBER = gettext_noop("Thiếu số cần gọi (number).")
BAD_REASON = gettext_noop("Lý do tạm nghỉ (reason) phải là chuỗi.")
BAD_OUTCOME = gettext_noop("Kết quả phục vụ (outcome) không hợp lệ.")
BAD_NOTE = gettext_noop("Ghi chú (note) phải là chuỗi.")
ONE_DESTINATION = gettext_noop(
    "Chọn đúng một nơi chuyển đến: lĩnh vực (service) hoặc quầy (counter)."
)
BAD_PUSH = gettext_noop("Đăng ký nhận thông báo không hợp lệ.")
BAD_PHONE_TYPE = gettext_noop("Số điện thoại (phone) phải là chuỗi.")
_NOTE_TOO_LONG = f"Ghi chú chuyển số tối đa {TRANSFER_NOTE_MAX} ký tự."  # an f-string there too


class _Closed(Schema):
    """A JSON object with exactly the keys declared (additionalProperties: false)."""

    class Meta:
        unknown = RAISE


def _described(words: str, **more: Any) -> dict[str, Any]:
    return {"description": words, **more}


# --- the shapes of answers ------------------------------------------------------------------


class Error(Open):
    error = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class CounterRef(Open):
    number = fields.Integer(required=True)
    name = fields.String(required=True)


class Service(Open):
    code = fields.String(required=True)
    prefix = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    color = fields.String()
    waiting = fields.Integer(required=True, validate=Range(min=0))
    open = fields.Boolean(required=True)
    daily_limit_left = fields.Integer(required=True, allow_none=True)


class Counter(Open):
    number = fields.Integer(required=True)
    counter = fields.Integer()
    name = fields.String(required=True)
    services = fields.List(fields.String(), required=True)
    priority = fields.Boolean(required=True)
    state = fields.String(required=True, validate=OneOf(COUNTER_STATES))
    pause_reason = fields.String()
    current = fields.String(allow_none=True)
    waiting = fields.Integer(
        validate=Range(min=0),
        metadata=_described("GET /counters: tickets this counter may call now"),
    )
    current_called_at = fields.String(allow_none=True)


class Deadline(Open):
    value = fields.Integer(required=True)
    unit = fields.String(required=True, validate=OneOf(["working_day", "working_hour", "same_day"]))


class Procedure(Open):
    code = fields.String(required=True)
    national_code = fields.String()
    name = fields.String(required=True)
    service = fields.String(required=True)
    deadline = fields.Nested(Deadline, required=True)
    fee = fields.String(required=True)
    components = fields.List(fields.Raw(), required=True)


class PrintStatus(Open):
    status = fields.String(required=True, validate=OneOf(["queued", "printed", "failed", "none"]))


class IssuedTicket(Open):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    token = fields.String(required=True, validate=Length(min=22))
    url = fields.String(required=True)
    service = fields.String(required=True)
    service_name = fields.String()
    priority = fields.Boolean()
    issued_at = fields.DateTime(required=True)
    session = fields.String(
        validate=OneOf([*SESSION_LABELS, OUTSIDE_HOURS]),
        metadata=_described(
            "sang: morning, chieu: afternoon; ngoai_gio: issued outside the ticketing hours "
            "(LOBBY_OPEN_ALWAYS, a day off), no session"
        ),
    )
    ahead = fields.Integer(required=True, validate=Range(min=0))
    eta_minutes = fields.Integer(required=True, validate=Range(min=0))
    print = fields.Nested(PrintStatus, required=True)


class PublicTicket(_Closed):
    number = fields.String(required=True)
    service = fields.String(required=True)
    service_name = fields.String()
    status = fields.String(required=True, validate=OneOf(STATUSES))
    ahead = fields.Integer(required=True, validate=Range(min=0))
    eta_minutes = fields.Integer(required=True, validate=Range(min=0))
    counter = fields.Nested(CounterRef, required=True, allow_none=True)
    called_at = fields.String(required=True, allow_none=True)
    issued_at = fields.String()
    service_day = fields.Date()
    dossier = fields.Dict(required=True, allow_none=True)
    rated = fields.Boolean()
    line_key = fields.String(
        metadata=_described(
            "this ticket's opaque key in its field's `line_changed` Socket.IO event (the phone "
            "finds its place in the line from it; no other ticket's key is ever sent alone)"
        ),
    )
    next_counter = fields.Nested(
        CounterRef,
        allow_none=True,
        metadata=_described(
            "a waiting ticket transferred to one counter: the counter that will call it (its "
            "place is `ahead` in that counter's call order)"
        ),
    )


class TransferNote(Open):
    from_counter = fields.Integer(required=True, allow_none=True)
    note = fields.String(required=True)


class DossierCode(Open):
    code = fields.String(required=True)


class StaffTicket(Open):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    service = fields.String(required=True)
    service_name = fields.String()
    status = fields.String(required=True, validate=OneOf(STATUSES))
    priority = fields.Boolean(required=True)
    issued_at = fields.String(required=True)
    called_at = fields.String(required=True, allow_none=True)
    serving_started_at = fields.String(allow_none=True)
    counter = fields.Nested(CounterRef, required=True, allow_none=True)
    recall_count = fields.Integer(required=True)
    outcome = fields.String(allow_none=True)
    transfer = fields.Nested(
        TransferNote,
        allow_none=True,
        metadata=_described("counter queue only: the ticket's last transfer"),
    )
    dossier = fields.Nested(
        DossierCode,
        allow_none=True,
        metadata=_described("counter queue, current ticket only: the dossier accepted from it"),
    )


class TicketEnvelope(Open):
    ticket = fields.Nested(StaffTicket, required=True)


class CounterEnvelope(Open):
    counter = fields.Nested(Counter, required=True)


class CounterQueue(Open):
    counter = fields.Nested(Counter, required=True)
    current = fields.Nested(StaffTicket, required=True, allow_none=True)
    waiting_total = fields.Integer(required=True)
    waiting = fields.List(fields.Nested(StaffTicket), required=True)
    no_show = fields.List(fields.Nested(StaffTicket))
    services = fields.List(fields.Raw())


class NowServing(Open):
    counter = fields.Nested(CounterRef, required=True, allow_none=True)
    number = fields.String(required=True)


class Callout(Open):
    number = fields.String(required=True)
    counter = fields.Nested(CounterRef, required=True, allow_none=True)
    called_at = fields.String(required=True)


class Board(Open):
    office = fields.Dict()
    service_day = fields.String()
    now = fields.String()
    now_serving = fields.List(fields.Nested(NowServing), required=True)
    recent = fields.List(fields.Raw(), required=True)
    waiting = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    services = fields.List(fields.Raw())
    counters = fields.List(fields.Nested(Counter), required=True)
    callout = fields.Nested(
        Callout,
        allow_none=True,
        metadata=_described(
            "The newest call an open counter still holds (the board's 'Mời số … đến quầy …'); "
            "null when no open counter holds a number."
        ),
    )
    next = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata=_described(
            "The next numbers (up to 3) each open counter of the board will call, by counter "
            "number, in call-next's own order (priority turns, tickets transferred to it); "
            "queue_changed carries the same map, for every open counter, after a change."
        ),
    )
    announcement = fields.String(
        metadata=_described(
            "The administrator's line for the boards (a holiday notice); empty: none. A change "
            "sends every board a fresh snapshot."
        )
    )


class Health(Open):
    status = fields.String(required=True, validate=OneOf(["ok", "degraded"]))
    database = fields.String(required=True)
    realtime = fields.String(
        validate=OneOf(["ok", "down"]),
        metadata=_described(
            "down: the message queue between server processes is away; this process still "
            "serves (status degraded, still 200)"
        ),
    )


class ServiceList(Open):
    services = fields.List(fields.Nested(Service), required=True)


class CounterList(Open):
    counters = fields.List(fields.Nested(Counter), required=True)


class ProcedureList(Open):
    procedures = fields.List(fields.Nested(Procedure), required=True)


class Official(_Closed):
    name = fields.String(required=True)
    title = fields.String(required=True)


class ReceptionSession(_Closed):
    """One session as anyone may see it: the official's name and title, never a citizen."""

    date = fields.Date(required=True)
    start = fields.String(required=True, metadata=_described("HH:MM, office time"))
    end = fields.String(required=True, metadata=_described("HH:MM, office time"))
    official = fields.Nested(Official, required=True)
    place = fields.String(required=True)
    mode = fields.String(required=True, validate=OneOf(["in_person", "online"]))
    kind = fields.String(
        required=True,
        validate=OneOf(["dinh_ky", "truc", "chuyen_de"]),
        metadata=_described(
            "dinh_ky: the chairman's periodic reception; truc: a leader on duty at the desk; "
            "chuyen_de: a thematic session"
        ),
    )


class ReceptionSchedule(_Closed):
    today = fields.Date(required=True)
    sessions = fields.List(
        fields.Nested(ReceptionSession),
        required=True,
        metadata=_described("reception sessions from today on, two months ahead at most"),
    )
    duty_today = fields.List(fields.Nested(ReceptionSession), required=True)


class ReprintStatus(Open):
    status = fields.String(required=True, validate=OneOf(["queued", "failed"]))


class Reprinted(Open):
    print = fields.Nested(ReprintStatus, required=True)


class DelayedTicket(Open):
    """The answer to "Để người sau lên trước": the ticket and its new place."""

    ticket = fields.Nested(PublicTicket, required=True)
    ahead_before = fields.Integer(
        required=True,
        validate=Range(min=0),
        metadata=_described("people ahead of the ticket before the delay"),
    )
    ahead = fields.Integer(
        required=True,
        validate=Range(min=0),
        metadata=_described("people ahead of it now (its new place, as ticket.ahead)"),
    )
    delays_left = fields.Integer(
        required=True,
        validate=Range(min=0),
        metadata=_described("how many more times this ticket may let others go first"),
    )


# Named components of the document (#/components/schemas/<name>), as the document always had.
COMPONENTS: dict[str, type[Schema]] = {
    "Error": Error,
    "Service": Service,
    "Counter": Counter,
    "Procedure": Procedure,
    "ReceptionSchedule": ReceptionSchedule,
    "IssuedTicket": IssuedTicket,
    "PublicTicket": PublicTicket,
    "StaffTicket": StaffTicket,
    "TicketEnvelope": TicketEnvelope,
    "CounterEnvelope": CounterEnvelope,
    "CounterQueue": CounterQueue,
    "Board": Board,
    "Health": Health,
}


# --- the bodies of ticket and counter requests (checked by the routes with check()) ----------


class IssueRequest(Open):
    priority = fields.String(
        allow_none=True,
        validate=OneOf(PRIORITY_GROUPS, error=BAD_PRIORITY),
        error_messages={"invalid": BAD_PRIORITY},
        metadata={"details": {BAD_PRIORITY: {"allowed": list(PRIORITY_GROUPS)}}},
    )
    service = fields.String(
        required=True,
        validate=Length(min=1, error=NO_SERVICE),
        error_messages=says(NO_SERVICE),
    )
    phone = fields.String(
        allow_none=True,
        error_messages=says(BAD_PHONE_TYPE),
        metadata=_described(
            "optional: a mobile number to text when the ticket is near its turn and called "
            "(kept encrypted until the end of the day; ignored when the office has no "
            "notification gateway)"
        ),
    )


class PushKeys(Open):
    p256dh = text("p256dh", required=True, limit=200)
    auth = text("auth", required=True, limit=200)


class PushRequest(Open):
    """The browser's PushSubscription (its toJSON()), for "Báo cho tôi" (docs/notifications.md)."""

    endpoint = text("endpoint", required=True, limit=1000, metadata={"format": "uri"})
    keys = fields.Nested(PushKeys, required=True, error_messages=says(BAD_PUSH))


class PushAnswer(Open):
    subscribed = fields.Boolean(required=True)


class CallRequest(Open):
    # The number's format ("A025", "a-25") is core.numbering's rule, with its own message.
    number = fields.String(required=True, error_messages=says(NO_NUMBER), metadata={"minLength": 1})


class OpenRequest(Open):
    force = fields.Raw(metadata={"type": "boolean"})  # any value, read as true or false


class PauseRequest(Open):
    reason = fields.String(error_messages=says(BAD_REASON))


class FinishRequest(Open):
    outcome = fields.String(
        required=True,
        validate=OneOf([o.value for o in Outcome], error=BAD_OUTCOME),
        error_messages=says(BAD_OUTCOME),
        metadata={"details": {BAD_OUTCOME: {"allowed": [o.value for o in Outcome]}}},
    )


class _NoteLength(Length):
    """At most TRANSFER_NOTE_MAX characters once runs of spaces are one space."""

    def __call__(self, value: Any) -> Any:
        super().__call__(" ".join(value.split()))
        return value


class TransferRequest(Open):
    FIRST: ClassVar[tuple[str, ...]] = ("_schema",)  # the destination is checked before the note

    # Which field or counter exists and takes tickets is the queue's rule (lobby).
    service = fields.Raw(metadata={"type": "string", "minLength": 1})
    counter = fields.Raw(metadata={"type": "integer"})
    note = fields.String(
        allow_none=True,
        validate=_NoteLength(max=TRANSFER_NOTE_MAX, error=_NOTE_TOO_LONG),
        error_messages={"invalid": BAD_NOTE},
        metadata={"details": {_NOTE_TOO_LONG: {"max_length": TRANSFER_NOTE_MAX}}},
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one_destination(self, data: Any, original: Any, **kwargs: Any) -> None:
        if (original.get("service") is None) == (original.get("counter") is None):
            raise ValidationError(ONE_DESTINATION)


# Exactly one destination: a field or a counter (the rule of TransferRequest._one_destination).
TRANSFER_ONE_OF = {"oneOf": [{"required": ["service"]}, {"required": ["counter"]}]}


class ReprintRequest(Open):
    device = fields.Raw(metadata={"type": "integer"})  # checked by lobby.printing


# --- pieces of an operation, for the routes' declarations (api/openapi.py gathers them) ------

IDEM = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}
STAFF = [{"session": []}, {"bearer": []}]
DEVICE = [{"bearer": []}, {"deviceCookie": []}]

Shape = type[Schema] | dict[str, Any] | str


def path_param(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def query_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def json_content(schema: Shape) -> dict[str, Any]:
    """A JSON body of the given schema class (or a component's name, or a plain JSON schema)."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"content": {"application/json": {"schema": schema}}}


def body(schema: Shape, *, required: bool = True) -> dict[str, Any]:
    return {"requestBody": {"required": required, **json_content(schema)}}


def answer(schema: Shape, status: str = "200", desc: str = "OK") -> dict[str, Any]:
    """One documented answer with a JSON body."""
    return {status: {"description": desc, **json_content(schema)}}


def errors(*codes: int, description: str = "Error") -> dict[str, Any]:
    """The {error, message} answers of the given statuses."""
    return {str(c): {"description": description, **json_content("Error")} for c in codes}


def staff_op(summary: str, answers: dict[str, Any], *codes: int, **more: Any) -> dict[str, Any]:
    """An operation for staff: its answers, its error statuses and anything more it declares."""
    return {
        "summary": summary,
        "security": STAFF,
        **more,
        "responses": {**answers, **errors(*codes)},
    }
