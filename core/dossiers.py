"""Dossier (hồ sơ) rules: states and their labels, allowed changes, the code, name masking,
satisfaction levels (DOMAIN §2, §4, §6, §10). Standard library only."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum

from core.errors import IllegalTransition, InvalidRequest
from core.text import fold


class DossierStatus(IntEnum):
    """The status codes of DOMAIN §2 (practice seen in Vietnamese one-stop software)."""

    SUBMITTED_ONLINE = 1
    ACCEPTED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    AWAITING_PAYMENT = 6
    WITHDRAWN = 7
    STOPPED = 8
    RESULT_READY = 9
    RETURNED = 10


@dataclass(frozen=True)
class StatusLabels:
    system: str
    citizen: str
    short: str


STATUS_LABELS: dict[DossierStatus, StatusLabels] = {
    DossierStatus.SUBMITTED_ONLINE: StatusLabels("Mới đăng ký", "Chờ tiếp nhận", "Chờ xử lý"),
    DossierStatus.ACCEPTED: StatusLabels("Được tiếp nhận", "Đã tiếp nhận", "Đang xử lý"),
    DossierStatus.REFUSED: StatusLabels(
        "Không được tiếp nhận", "Không được tiếp nhận", "Từ chối xử lý"
    ),
    DossierStatus.PROCESSING: StatusLabels("Đang xử lý", "Đang xử lý", "Đang xử lý"),
    DossierStatus.SUPPLEMENT_REQUESTED: StatusLabels(
        "Yêu cầu bổ sung giấy tờ", "Cần bổ sung giấy tờ", "Yêu cầu bổ sung giấy tờ"
    ),
    DossierStatus.AWAITING_PAYMENT: StatusLabels(
        "Yêu cầu thực hiện nghĩa vụ tài chính", "Chờ nộp phí, lệ phí", "Đang xử lý"
    ),
    DossierStatus.WITHDRAWN: StatusLabels(
        "Công dân yêu cầu rút hồ sơ", "Đã rút hồ sơ", "Dừng xử lý"
    ),
    DossierStatus.STOPPED: StatusLabels("Dừng xử lý", "Dừng xử lý", "Dừng xử lý"),
    DossierStatus.RESULT_READY: StatusLabels(
        "Đã xử lý xong", "Đã có kết quả – mời đến nhận", "Chờ trả kết quả"
    ),
    DossierStatus.RETURNED: StatusLabels("Đã trả kết quả", "Đã trả kết quả", "Đã trả kết quả"),
}

# Lowercase names for the API (API.md: enumerations are lowercase strings).
STATUS_NAMES: dict[DossierStatus, str] = {s: s.name.lower() for s in DossierStatus}


class DossierAction(StrEnum):
    ACCEPT = "accept"
    HANDOVER = "handover"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT_RECEIVED = "supplement_received"
    REQUEST_PAYMENT = "request_payment"
    PAID = "paid"
    RESULT_READY = "result_ready"
    RETURN = "return"
    WITHDRAW = "withdraw"
    STOP = "stop"
    APOLOGISE = "apologise"


_ACTIVE = {
    DossierStatus.ACCEPTED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.AWAITING_PAYMENT,
}
TERMINAL = frozenset(
    {DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.RETURNED}
)

_MOVES: dict[DossierAction, tuple[frozenset[DossierStatus], DossierStatus | None]] = {
    # action: (from which states, to which state; None = stays)
    DossierAction.ACCEPT: (frozenset({DossierStatus.SUBMITTED_ONLINE}), DossierStatus.ACCEPTED),
    DossierAction.HANDOVER: (
        frozenset({DossierStatus.ACCEPTED, DossierStatus.PROCESSING}),
        DossierStatus.PROCESSING,
    ),
    DossierAction.REQUEST_SUPPLEMENT: (
        frozenset({DossierStatus.ACCEPTED, DossierStatus.PROCESSING}),
        DossierStatus.SUPPLEMENT_REQUESTED,
    ),
    DossierAction.SUPPLEMENT_RECEIVED: (
        frozenset({DossierStatus.SUPPLEMENT_REQUESTED}),
        DossierStatus.PROCESSING,
    ),
    DossierAction.REQUEST_PAYMENT: (
        frozenset({DossierStatus.ACCEPTED, DossierStatus.PROCESSING, DossierStatus.RESULT_READY}),
        DossierStatus.AWAITING_PAYMENT,
    ),
    DossierAction.PAID: (frozenset({DossierStatus.AWAITING_PAYMENT}), DossierStatus.PROCESSING),
    # API.md: result_ready may follow acceptance directly.
    DossierAction.RESULT_READY: (
        frozenset({DossierStatus.ACCEPTED, DossierStatus.PROCESSING}),
        DossierStatus.RESULT_READY,
    ),
    DossierAction.RETURN: (frozenset({DossierStatus.RESULT_READY}), DossierStatus.RETURNED),
    DossierAction.WITHDRAW: (
        frozenset(_ACTIVE | {DossierStatus.SUBMITTED_ONLINE}),
        DossierStatus.WITHDRAWN,
    ),
    DossierAction.STOP: (frozenset(_ACTIVE), DossierStatus.STOPPED),
    DossierAction.APOLOGISE: (frozenset(_ACTIVE), None),
}


def parse_action(value: object) -> DossierAction:
    try:
        return DossierAction(str(value))
    except ValueError:
        raise InvalidRequest(
            "Thao tác hồ sơ (action) không hợp lệ.",
            field="action",
            allowed=[a.value for a in DossierAction if a is not DossierAction.ACCEPT],
        ) from None


def next_dossier_status(current: DossierStatus, action: DossierAction) -> DossierStatus:
    """The state after `action`; a change the table does not allow raises IllegalTransition."""
    sources, target = _MOVES[action]
    if current not in sources:
        raise IllegalTransition(
            f"Không thể thực hiện '{action.value}' khi hồ sơ đang ở trạng thái "
            f"'{STATUS_LABELS[current].system}'.",
            dossier_status=STATUS_NAMES[current],
        )
    return current if target is None else target


def allowed_dossier_actions(current: DossierStatus) -> list[DossierAction]:
    return [
        a
        for a, (sources, _) in _MOVES.items()
        if current in sources and a is not DossierAction.ACCEPT
    ]


DEFAULT_CODE_FORMAT = "{agency}-{yymmdd}-{seq:04d}"


def dossier_code(agency_code: str, received: date, seq: int, fmt: str = DEFAULT_CODE_FORMAT) -> str:
    """The dossier code of Circular 01/2018 and Decree 118: <agency code>-YYMMDD-NNNN, the
    running number in at least 4 digits and as many as it needs (the 10000th is 10000). The
    format is configurable; one asking for fewer digits ({seq}, {seq:02d}) still gets 4."""
    if seq < 1:
        raise ValueError("dossier running numbers start at 1")
    return fmt.format(agency=agency_code, yymmdd=received.strftime("%y%m%d"), seq=_Seq(seq))


class _Seq(int):
    """A running number that formats with at least 4 digits, or the width its spec asks."""

    def __format__(self, spec: str) -> str:
        digits = "".join(ch for ch in spec if ch.isdigit())
        return f"{int(self):0{max(4, int(digits or 0))}d}"


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' → 'N*** V*** A': initials only, fixed-width stars so length does not leak."""
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return ""
    masked = [w[0].upper() + "***" for w in words[:-1]]
    return " ".join([*masked, words[-1][0].upper()])


def normalize_dossier_code(raw: str) -> str:
    """A code as people type it: any case, spaces anywhere, a typographic dash → the stored form."""
    text = unicodedata.normalize("NFC", raw)
    for dash in ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"):
        text = text.replace(dash, "-")
    return "".join(text.split()).upper()


# --- the applicant's identity document (DOMAIN §3: số định danh cá nhân, or passport) ----------


class IdType(StrEnum):
    """CCCD / personal identification number (12 digits), passport, or another document."""

    CCCD = "cccd"
    PASSPORT = "passport"
    OTHER = "other"


ID_TYPE_LABELS: dict[IdType, str] = {
    IdType.CCCD: "Số định danh cá nhân (CCCD)",
    IdType.PASSPORT: "Hộ chiếu",
    IdType.OTHER: "Giấy tờ khác",
}


def parse_id_type(value: object) -> IdType:
    """The document kind; none given means the CCCD / personal identification number."""
    if value is None or value == "":
        return IdType.CCCD
    try:
        return IdType(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidRequest(
            "Loại giấy tờ (id_type) không hợp lệ.",
            field="id_type",
            allowed=[t.value for t in IdType],
        ) from None


def normalize_id_number(kind: IdType, raw: str) -> str:
    """The number as stored and compared: CCCD digits without spaces or dots, a passport in
    capitals without spaces; another document as typed (trimmed). Raises InvalidRequest."""
    if kind is IdType.OTHER:
        value = " ".join(raw.split())
        if not 3 <= len(value) <= 40:
            raise InvalidRequest(
                "Số giấy tờ gồm 3–40 ký tự.", field="id_number", id_type=kind.value
            )
        return value
    value = "".join(raw.replace(".", " ").split()).upper()
    if kind is IdType.CCCD and not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise InvalidRequest(
            "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số.",
            field="id_number",
            id_type=kind.value,
        )
    if kind is IdType.PASSPORT and not (
        6 <= len(value) <= 20 and value.isascii() and value.isalnum()
    ):
        raise InvalidRequest(
            "Số hộ chiếu gồm 6–20 chữ cái hoặc chữ số (VD: C1234567).",
            field="id_number",
            id_type=kind.value,
        )
    return value


# --- satisfaction (DOMAIN §6) ---------------------------------------------------------------


class RatingLevel(StrEnum):
    VERY_SATISFIED = "rat_hai_long"
    SATISFIED = "hai_long"
    NEUTRAL = "binh_thuong"  # optional 5-level UI
    NOT_SATISFIED = "khong_hai_long"
    VERY_DISSATISFIED = "rat_khong_hai_long"  # optional 5-level UI


RATING_LABELS_VI: dict[RatingLevel, str] = {
    RatingLevel.VERY_SATISFIED: "Rất hài lòng",
    RatingLevel.SATISFIED: "Hài lòng",
    RatingLevel.NEUTRAL: "Bình thường",
    RatingLevel.NOT_SATISFIED: "Không hài lòng",
    RatingLevel.VERY_DISSATISFIED: "Rất không hài lòng",
}
OFFICIAL_LEVELS = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.NOT_SATISFIED)
RATING_ORDER = tuple(RatingLevel)  # best first, as the faces are shown


def official_level(
    level: RatingLevel, *, neutral_as: RatingLevel = RatingLevel.SATISFIED
) -> RatingLevel:
    """Map a 5-level answer onto the three official levels (the neutral mapping is a setting)."""
    if level is RatingLevel.NEUTRAL:
        return neutral_as
    if level is RatingLevel.VERY_DISSATISFIED:
        return RatingLevel.NOT_SATISFIED
    return level


def satisfaction_rate(
    levels: Iterable[RatingLevel], *, neutral_as: RatingLevel = RatingLevel.SATISFIED
) -> float | None:
    """(rated − rated Không hài lòng) ÷ rated × 100; None when nobody rated (DOMAIN §6)."""
    mapped = [official_level(x, neutral_as=neutral_as) for x in levels]
    if not mapped:
        return None
    unhappy = sum(1 for x in mapped if x is RatingLevel.NOT_SATISFIED)
    return (len(mapped) - unhappy) * 100.0 / len(mapped)


def level_counts(levels: Iterable[RatingLevel]) -> Mapping[RatingLevel, int]:
    """How many chose each level, exactly as chosen (a "Bình thường" is never a "Hài lòng")."""
    counts = dict.fromkeys(RATING_ORDER, 0)
    for x in levels:
        counts[x] += 1
    return counts


# --- Decree 118/2025 (DOMAIN §14): one supplement request, an apology in time, one new date ----


def check_supplement_request(earlier_requests: int, limit: int = 1) -> None:
    """A supplement may be requested only once (Decree 118 Art. 11): a further request is
    refused (IllegalTransition), saying what to do instead. `limit` 0 means no limit."""
    if limit and earlier_requests >= limit:
        raise IllegalTransition(
            "Hồ sơ đã được yêu cầu bổ sung một lần; theo Nghị định 118/2025 chỉ được yêu cầu "
            "bổ sung một lần. Hãy xử lý với giấy tờ đã có, hoặc từ chối giải quyết và nêu rõ "
            "lý do.",
            earlier_requests=earlier_requests,
            limit=limit,
        )


def check_apology(
    earlier_apologies: int,
    working_hours_left: float,
    *,
    max_reappointments: int = 1,
    lead_working_hours: float = 8.0,
) -> None:
    """An apology with a new date goes out no later than one working day (`lead_working_hours`)
    before the due moment, and a dossier is re-appointed at most `max_reappointments` times
    (DOMAIN §14). `working_hours_left`: working hours from now to the due moment (0 once
    passed). A limit of 0 turns that check off."""
    if max_reappointments and earlier_apologies >= max_reappointments:
        raise IllegalTransition(
            "Hồ sơ đã được hẹn lại ngày trả kết quả một lần; không được hẹn lại lần nữa.",
            earlier_apologies=earlier_apologies,
            limit=max_reappointments,
        )
    if lead_working_hours and working_hours_left < lead_working_hours:
        raise IllegalTransition(
            "Đã quá thời hạn gửi phiếu xin lỗi và hẹn lại: phiếu phải gửi chậm nhất 01 ngày "
            "làm việc trước ngày hẹn trả kết quả.",
            working_hours_left=round(working_hours_left, 1),
            lead_working_hours=lead_working_hours,
        )


# --- the blind index: applicants found by name, phone or ID number without decrypting --------


class SearchKind(StrEnum):
    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"


def search_value(kind: SearchKind, raw: str | None) -> str | None:
    """The normalised value a blind index hashes, the same for what was stored and what is
    typed: a name folded (no diacritics, any case, spaces collapsed); a phone as its digits with
    +84 / 84 read as 0; an ID number as capitals and digits only. None when nothing is left."""
    if raw is None:
        return None
    if kind is SearchKind.NAME:
        value = fold(raw)
    elif kind is SearchKind.PHONE:
        value = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
        if value.startswith("84") and len(value) >= 11:
            value = "0" + value[2:]
    else:
        value = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch.isalnum()).upper()
    return value or None


def search_kinds(query: str) -> list[SearchKind]:
    """Which indexes a typed query may be looked up in: digits (and + . - spaces) are a phone
    or an ID number; anything with a letter is a name, or a passport / other ID number."""
    text = query.strip()
    if not text:
        return []
    if all(ch.isdigit() or ch in "+.- ()" for ch in text):
        return [SearchKind.PHONE, SearchKind.ID_NUMBER]
    return [SearchKind.NAME, SearchKind.ID_NUMBER]
