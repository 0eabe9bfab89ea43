"""Dossier states, code, masking and satisfaction (core/dossiers.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dossiers import (
    STATUS_LABELS,
    DossierAction,
    DossierStatus,
    RatingLevel,
    allowed_dossier_actions,
    dossier_code,
    mask_name,
    next_dossier_status,
    satisfaction_rate,
)
from core.errors import IllegalTransition, InvalidRequest


def test_the_code_follows_circular_01_2018() -> None:
    assert dossier_code("000.00.24.H56", date(2025, 7, 1), 7) == "000.00.24.H56-250701-0007"


def test_names_are_masked_to_initials_with_fixed_stars() -> None:
    assert mask_name("Nguyễn Văn An") == "N*** V*** A"
    assert mask_name("  đặng   thị  Ánh ") == "Đ*** T*** Á"
    assert mask_name("Lan") == "L"
    assert mask_name("") == ""


@given(
    st.lists(
        st.text(alphabet="abcdeghiklmnoprstuvxyàáạảãâầấậẩẫăằắặẳẵđ", min_size=2, max_size=12),
        min_size=1,
        max_size=5,
    )
)
def test_a_masked_name_never_contains_more_than_initials(words: list[str]) -> None:
    masked = mask_name(" ".join(words))
    letters = [c for c in masked if c.isalpha()]
    assert len(letters) == len(words)
    assert masked.count("***") == len(words) - 1


def test_the_citizen_labels_of_domain_section_2() -> None:
    assert STATUS_LABELS[DossierStatus.RESULT_READY].citizen == "Đã có kết quả – mời đến nhận"
    assert STATUS_LABELS[DossierStatus.SUPPLEMENT_REQUESTED].citizen == "Cần bổ sung giấy tờ"
    assert STATUS_LABELS[DossierStatus.AWAITING_PAYMENT].short == "Đang xử lý"


def test_the_usual_journey_and_result_ready_right_after_acceptance() -> None:
    s = DossierStatus.ACCEPTED
    for action, expected in [
        (DossierAction.HANDOVER, DossierStatus.PROCESSING),
        (DossierAction.REQUEST_SUPPLEMENT, DossierStatus.SUPPLEMENT_REQUESTED),
        (DossierAction.SUPPLEMENT_RECEIVED, DossierStatus.PROCESSING),
        (DossierAction.REQUEST_PAYMENT, DossierStatus.AWAITING_PAYMENT),
        (DossierAction.PAID, DossierStatus.PROCESSING),
        (DossierAction.APOLOGISE, DossierStatus.PROCESSING),
        (DossierAction.RESULT_READY, DossierStatus.RESULT_READY),
        (DossierAction.RETURN, DossierStatus.RETURNED),
    ]:
        s = next_dossier_status(s, action)
        assert s is expected
    assert (
        next_dossier_status(DossierStatus.ACCEPTED, DossierAction.RESULT_READY)
        is DossierStatus.RESULT_READY
    )


@pytest.mark.parametrize(
    "final", [DossierStatus.RETURNED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED]
)
def test_nothing_moves_a_closed_dossier(final: DossierStatus) -> None:
    assert allowed_dossier_actions(final) == []
    with pytest.raises(IllegalTransition):
        next_dossier_status(final, DossierAction.HANDOVER)


def test_a_result_cannot_be_returned_before_it_is_ready() -> None:
    with pytest.raises(IllegalTransition):
        next_dossier_status(DossierStatus.PROCESSING, DossierAction.RETURN)


def test_satisfaction_rate_maps_five_levels_onto_three() -> None:
    levels = [
        RatingLevel.VERY_SATISFIED,
        RatingLevel.NEUTRAL,
        RatingLevel.VERY_DISSATISFIED,
        RatingLevel.SATISFIED,
    ]
    assert satisfaction_rate(levels) == 75.0
    assert satisfaction_rate(levels, neutral_as=RatingLevel.NOT_SATISFIED) == 50.0
    assert satisfaction_rate([]) is None


# --- the applicant's ID number and the dossier code as typed --------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("cccd", "079123456789", "079123456789"),
        ("cccd", " 079 123.456 789 ", "079123456789"),
        ("passport", "c1234567", "C1234567"),
        ("passport", "N 1234 5678", "N12345678"),
        ("other", "  Giấy khai sinh   số 12 ", "Giấy khai sinh số 12"),
    ],
)
def test_an_id_number_is_kept_in_its_usual_form(kind: str, typed: str, stored: str) -> None:
    from core.dossiers import normalize_id_number, parse_id_type

    assert normalize_id_number(parse_id_type(kind), typed) == stored


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("cccd", "12345"),
        ("cccd", "0791234567890"),
        ("cccd", "07912345678a"),
        ("cccd", "٠٧٩١٢٣٤٥٦٧٨٩"),  # digits, but not the 0–9 printed on the card
        ("passport", "C12"),
        ("passport", "C123-4567"),
        ("other", "x"),
    ],
)
def test_a_wrong_id_number_is_refused_with_what_it_should_be(kind: str, typed: str) -> None:
    from core.dossiers import normalize_id_number, parse_id_type

    with pytest.raises(InvalidRequest) as err:
        normalize_id_number(parse_id_type(kind), typed)
    assert err.value.details["field"] == "id_number"


def test_no_id_type_means_the_cccd_and_an_unknown_one_is_refused() -> None:
    from core.dossiers import IdType, parse_id_type

    assert parse_id_type(None) is IdType.CCCD and parse_id_type("") is IdType.CCCD
    with pytest.raises(InvalidRequest):
        parse_id_type("cmnd")
    with pytest.raises(InvalidRequest):
        parse_id_type(["cccd"])


def test_a_dossier_code_is_read_in_any_case_with_spaces_and_typographic_dashes() -> None:
    from core.dossiers import normalize_dossier_code

    assert normalize_dossier_code(" h15.50.05.13 – 261130 -0007 ") == "H15.50.05.13-261130-0007"
