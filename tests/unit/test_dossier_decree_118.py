"""Decree 118/2025 rules and dossier codes (DOMAIN §4, §14): core.dossiers, core.numbering."""

from __future__ import annotations

from datetime import date

import pytest

from core.dossiers import (
    SearchKind,
    check_apology,
    check_supplement_request,
    dossier_code,
    search_kinds,
    search_value,
)
from core.errors import IllegalTransition, InvalidRequest
from core.numbering import parse_dossier_code


def test_a_supplement_is_requested_once_and_the_second_request_says_why_not() -> None:
    check_supplement_request(0)
    with pytest.raises(IllegalTransition, match="chỉ được yêu cầu bổ sung một lần"):
        check_supplement_request(1)
    check_supplement_request(5, limit=0)  # the setting turned off


def test_an_apology_goes_out_a_working_day_ahead_and_only_once() -> None:
    check_apology(0, 8.0)
    with pytest.raises(IllegalTransition, match="chậm nhất 01 ngày làm việc"):
        check_apology(0, 7.5)
    with pytest.raises(IllegalTransition, match="hẹn lại ngày trả kết quả một lần"):
        check_apology(1, 40.0)
    check_apology(1, 0.0, max_reappointments=2, lead_working_hours=0)


def test_the_office_code_keeps_four_digits_and_grows_past_9999() -> None:
    day = date(2026, 1, 5)
    assert dossier_code("H15.50.05.13", day, 7) == "H15.50.05.13-260105-0007"
    assert dossier_code("H15.50.05.13", day, 9999) == "H15.50.05.13-260105-9999"
    assert dossier_code("H15.50.05.13", day, 10000) == "H15.50.05.13-260105-10000"
    # a short office format still gives four digits; a longer one is honoured
    assert dossier_code("G22", day, 3, "{agency}-{yymmdd}-{seq}") == "G22-260105-0003"
    assert dossier_code("G22", day, 3, "{agency}-{yymmdd}-{seq:06d}") == "G22-260105-000003"
    assert parse_dossier_code(dossier_code("H15.50.05.13", day, 123456)).seq == 123456


@pytest.mark.parametrize(
    ("code", "agency", "ministry", "seq"),
    [
        ("000.00.24.H56-250701-0007", "000.00.24.H56", None, 7),
        ("H15.50.05.13-260105-12345", "H15.50.05.13", None, 12345),
        ("000.00.00.G12-260105-TP0001", "000.00.00.G12", "TP", 1),
        ("G22-261231-00000042", "G22", None, 42),
    ],
)
def test_codes_of_other_systems_are_read(code: str, agency: str, ministry: str, seq: int) -> None:
    parsed = parse_dossier_code(code)
    assert (parsed.agency, parsed.ministry, parsed.seq) == (agency, ministry, seq)


@pytest.mark.parametrize(
    "code",
    [
        "H15-260105-123",
        "H15-261305-0001",
        "H15-260105",
        "-260105-0001",
        "H15 260105 0001",
        "",
        "H15-260105-\u0661\u0662\u0663\u0664",  # Arabic-Indic digits
    ],
)
def test_what_is_not_a_dossier_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_dossier_code(code)


def test_search_values_are_normalised_the_same_way_stored_and_typed() -> None:
    assert search_value(SearchKind.NAME, " Nguyễn  Văn AN ") == "nguyen van an"
    assert search_value(SearchKind.PHONE, "+84 901 234 567") == "0901234567"
    assert search_value(SearchKind.PHONE, "0901.234.567") == "0901234567"
    assert search_value(SearchKind.ID_NUMBER, "c 1234567") == "C1234567"
    assert search_value(SearchKind.NAME, "   ") is None
    assert search_kinds("0901 234 567") == [SearchKind.PHONE, SearchKind.ID_NUMBER]
    assert search_kinds("Trần Thị") == [SearchKind.NAME, SearchKind.ID_NUMBER]
