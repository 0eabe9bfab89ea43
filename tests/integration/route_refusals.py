"""Bad bodies for the four routes whose checks moved to api/schemas.py (accept a dossier, a
dossier event, a rating, the print agent's reports), sent through the real routes.

Their answers were captured on the code before the move (the domain checked them by hand) and
are kept as the expected answers in test_api_schema_checks.py: status, error code, message,
`field` and details, and which error wins when a body is bad in two ways (422 before 404, 404
before 422, 409 before 422) are the same after it.
"""

from __future__ import annotations

from typing import Any

from tests.integration.helpers import Staff, device_token, issue
from tests.integration.test_print_agent_api import add_kiosk

A = {"full_name": "Nguyễn Văn An", "id_number": "079123456789"}
P = "HT-XNTTHN"  # a procedure of the demo office

# (who, path, body, status, answer): who is staff, tablet, agent (an agent:// kiosk) or kiosk (the demo kiosk,
# whose printer the server drives); {code} is an accepted dossier, {withdrawn} a withdrawn one,
# {served} the token of the ticket being served at counter 1, {waiting} one still waiting.
# The answers are those of the code before the move (captured on it, commit b82cd64).
CASES: list[tuple[str, str, dict[str, Any], int, dict[str, Any]]] = [
    # --- POST /api/v1/dossiers -------------------------------------------------------------
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "digitised": "false"},  # a string is not a flag
        422,
        {
            "error": "invalid_request",
            "message": "digitised (đã số hóa thành phần hồ sơ) là true hoặc false.",
            "details": {"field": "digitised"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: procedure.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": 5, "applicant": A},
        422,
        {
            "error": "invalid_request",
            "message": "Trường procedure phải là chuỗi.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": "x" * 61, "applicant": A},
        422,
        {
            "error": "invalid_request",
            "message": "Trường procedure dài quá 60 ký tự.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": "  ", "applicant": A},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: procedure.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": None, "applicant": "x"},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: procedure.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin người nộp (applicant).",
            "details": {"field": "applicant"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": "x"},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin người nộp (applicant).",
            "details": {"field": "applicant"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": [A]},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin người nộp (applicant).",
            "details": {"field": "applicant"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {}},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: full_name.",
            "details": {"field": "full_name"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {"full_name": 5}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường full_name phải là chuỗi.",
            "details": {"field": "full_name"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {"full_name": " "}},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: full_name.",
            "details": {"field": "full_name"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {"full_name": "x" * 256}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường full_name dài quá 255 ký tự.",
            "details": {"field": "full_name"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": 5}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường id_number phải là chuỗi.",
            "details": {"field": "id_number"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": "1" * 41}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường id_number dài quá 40 ký tự.",
            "details": {"field": "id_number"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_type": "cmnd"}},
        422,
        {
            "error": "invalid_request",
            "message": "Loại giấy tờ (id_type) không hợp lệ.",
            "details": {"field": "id_type", "allowed": ["cccd", "passport", "other"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {"full_name": "An", "id_type": 5}},
        422,
        {
            "error": "invalid_request",
            "message": "Loại giấy tờ (id_type) không hợp lệ.",
            "details": {"field": "id_type", "allowed": ["cccd", "passport", "other"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": "12345"}},
        422,
        {
            "error": "invalid_request",
            "message": "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số.",
            "details": {"field": "id_number", "id_type": "cccd"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": "C1", "id_type": "passport"}},
        422,
        {
            "error": "invalid_request",
            "message": "Số hộ chiếu gồm 6–20 chữ cái hoặc chữ số (VD: C1234567).",
            "details": {"field": "id_number", "id_type": "passport"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": "ab", "id_type": "other"}},
        422,
        {
            "error": "invalid_request",
            "message": "Số giấy tờ gồm 3–40 ký tự.",
            "details": {"field": "id_number", "id_type": "other"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "id_number": " ", "id_type": "cmnd"}},
        422,
        {
            "error": "invalid_request",
            "message": "Loại giấy tờ (id_type) không hợp lệ.",
            "details": {"field": "id_type", "allowed": ["cccd", "passport", "other"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "full_name": 5, "id_type": "x"}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường full_name phải là chuỗi.",
            "details": {"field": "full_name"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "channel": "fax"},
        422,
        {
            "error": "invalid_request",
            "message": "Kênh nộp (channel) không hợp lệ.",
            "details": {"field": "channel", "allowed": ["truc_tiep", "buu_chinh", "truc_tuyen"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "channel": None},
        422,
        {
            "error": "invalid_request",
            "message": "Kênh nộp (channel) không hợp lệ.",
            "details": {"field": "channel", "allowed": ["truc_tiep", "buu_chinh", "truc_tuyen"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": "Tờ khai"},
        422,
        {
            "error": "invalid_request",
            "message": "Thành phần hồ sơ (components) phải là một danh sách.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": [5]},
        422,
        {
            "error": "invalid_request",
            "message": "Mỗi thành phần hồ sơ cần có tên (name).",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": [{"name": " "}]},
        422,
        {
            "error": "invalid_request",
            "message": "Mỗi thành phần hồ sơ cần có tên (name).",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": [{"name": 5}]},
        422,
        {
            "error": "invalid_request",
            "message": "Mỗi thành phần hồ sơ cần có tên (name).",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": [{"name": "a", "ban_chinh": 100}]},
        422,
        {
            "error": "invalid_request",
            "message": "Số bản (ban_chinh) phải là số nguyên 0–99.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": [{"name": "a", "ban_photo": True}]},
        422,
        {
            "error": "invalid_request",
            "message": "Số bản (ban_photo) phải là số nguyên 0–99.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "components": ["a", {"name": "b", "ban_chung_thuc": -1}]},
        422,
        {
            "error": "invalid_request",
            "message": "Số bản (ban_chung_thuc) phải là số nguyên 0–99.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": 0},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": 51},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": "2"},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": True},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": None},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "sets_count": 2.0},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "channel": "fax", "sets_count": 0, "components": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Kênh nộp (channel) không hợp lệ.",
            "details": {"field": "channel", "allowed": ["truc_tiep", "buu_chinh", "truc_tuyen"]},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": "NOPE", "applicant": A, "sets_count": 0},
        422,
        {
            "error": "invalid_request",
            "message": "Số lượng bộ hồ sơ phải từ 1 đến 50.",
            "details": {"field": "sets_count"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": "NOPE", "applicant": A, "ticket_id": "1"},
        404,
        {
            "error": "not_found",
            "message": "Không có thủ tục này.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": "NOPE", "applicant": {**A, "phone": 5}},
        404,
        {
            "error": "not_found",
            "message": "Không có thủ tục này.",
            "details": {"field": "procedure"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": "1"},
        422,
        {
            "error": "invalid_request",
            "message": "ticket_id phải là số.",
            "details": {"field": "ticket_id"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": 1.5},
        422,
        {
            "error": "invalid_request",
            "message": "ticket_id phải là số.",
            "details": {"field": "ticket_id"},
        },
    ),
    (  # JSON's true is no id, though Python's bool is an int (it was taken as ticket 1)
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": True},
        422,
        {
            "error": "invalid_request",
            "message": "ticket_id phải là số.",
            "details": {"field": "ticket_id"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": 999999},
        404,
        {"error": "not_found", "message": "Không tìm thấy phiếu."},
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": 999999, "fee_method": 5},
        404,
        {"error": "not_found", "message": "Không tìm thấy phiếu."},
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "ticket_id": "1", "fee_method": 5},
        422,
        {
            "error": "invalid_request",
            "message": "ticket_id phải là số.",
            "details": {"field": "ticket_id"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "phone": 5}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường phone phải là chuỗi.",
            "details": {"field": "phone"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "phone": "0" * 41}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường phone dài quá 40 ký tự.",
            "details": {"field": "phone"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "email": ["a"]}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường email phải là chuỗi.",
            "details": {"field": "email"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "address": "x" * 501}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường address dài quá 500 ký tự.",
            "details": {"field": "address"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "address": 5, "phone": 5}},
        422,
        {
            "error": "invalid_request",
            "message": "Trường phone phải là chuỗi.",
            "details": {"field": "phone"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "return_place": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường return_place phải là chuỗi.",
            "details": {"field": "return_place"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "fee_method": "x" * 256},
        422,
        {
            "error": "invalid_request",
            "message": "Trường fee_method dài quá 255 ký tự.",
            "details": {"field": "fee_method"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": A, "resolving_office": ["x"]},
        422,
        {
            "error": "invalid_request",
            "message": "Trường resolving_office phải là chuỗi.",
            "details": {"field": "resolving_office"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers",
        {"procedure": P, "applicant": {**A, "email": 5}, "return_place": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường email phải là chuỗi.",
            "details": {"field": "email"},
        },
    ),
    # --- POST /api/v1/dossiers/<code>/events -----------------------------------------------
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {},
        422,
        {
            "error": "invalid_request",
            "message": "Thao tác hồ sơ (action) không hợp lệ.",
            "details": {
                "field": "action",
                "allowed": [
                    "handover",
                    "request_supplement",
                    "supplement_received",
                    "request_payment",
                    "paid",
                    "result_ready",
                    "return",
                    "withdraw",
                    "stop",
                    "apologise",
                ],
            },
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Thao tác hồ sơ (action) không hợp lệ.",
            "details": {
                "field": "action",
                "allowed": [
                    "handover",
                    "request_supplement",
                    "supplement_received",
                    "request_payment",
                    "paid",
                    "result_ready",
                    "return",
                    "withdraw",
                    "stop",
                    "apologise",
                ],
            },
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "bogus"},
        422,
        {
            "error": "invalid_request",
            "message": "Thao tác hồ sơ (action) không hợp lệ.",
            "details": {
                "field": "action",
                "allowed": [
                    "handover",
                    "request_supplement",
                    "supplement_received",
                    "request_payment",
                    "paid",
                    "result_ready",
                    "return",
                    "withdraw",
                    "stop",
                    "apologise",
                ],
            },
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "accept"},
        422,
        {
            "error": "invalid_request",
            "message": "Dùng POST /api/v1/dossiers để tiếp nhận hồ sơ.",
            "details": {"field": "action"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "note": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường note phải là chuỗi.",
            "details": {"field": "note"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "note": "x" * 2001},
        422,
        {
            "error": "invalid_request",
            "message": "Trường note dài quá 2000 ký tự.",
            "details": {"field": "note"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "reason": ["x"]},
        422,
        {
            "error": "invalid_request",
            "message": "Trường reason phải là chuỗi.",
            "details": {"field": "reason"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "reason": 5, "note": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường note phải là chuỗi.",
            "details": {"field": "note"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/NOPE-1/events",
        {"action": "bogus"},
        422,
        {
            "error": "invalid_request",
            "message": "Thao tác hồ sơ (action) không hợp lệ.",
            "details": {
                "field": "action",
                "allowed": [
                    "handover",
                    "request_supplement",
                    "supplement_received",
                    "request_payment",
                    "paid",
                    "result_ready",
                    "return",
                    "withdraw",
                    "stop",
                    "apologise",
                ],
            },
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/NOPE-1/events",
        {"action": "handover", "note": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường note phải là chuỗi.",
            "details": {"field": "note"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/NOPE-1/events",
        {"action": "handover", "to_unit": 5},
        404,
        {"error": "not_found", "message": "Không tìm thấy hồ sơ"},
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover"},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: to_unit.",
            "details": {"field": "to_unit"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "to_unit": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường to_unit phải là chuỗi.",
            "details": {"field": "to_unit"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "to_unit": " "},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu thông tin bắt buộc: to_unit.",
            "details": {"field": "to_unit"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "handover", "to_unit": "x" * 256},
        422,
        {
            "error": "invalid_request",
            "message": "Trường to_unit dài quá 255 ký tự.",
            "details": {"field": "to_unit"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{withdrawn}/events",
        {"action": "handover", "to_unit": 5},
        409,
        {
            "error": "conflict",
            "message": "Không thể thực hiện 'handover' khi hồ sơ đang ở trạng thái 'Công dân yêu cầu rút hồ sơ'.",
            "details": {"dossier_status": "withdrawn"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{withdrawn}/events",
        {"action": "apologise"},
        409,
        {
            "error": "conflict",
            "message": "Không thể thực hiện 'apologise' khi hồ sơ đang ở trạng thái 'Công dân yêu cầu rút hồ sơ'.",
            "details": {"dossier_status": "withdrawn"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{withdrawn}/events",
        {"action": "handover", "note": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường note phải là chuỗi.",
            "details": {"field": "note"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "request_supplement"},
        422,
        {
            "error": "invalid_request",
            "message": "Phiếu yêu cầu bổ sung cần nêu lý do (reason).",
            "details": {"field": "reason"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "request_supplement", "reason": " "},
        422,
        {
            "error": "invalid_request",
            "message": "Phiếu yêu cầu bổ sung cần nêu lý do (reason).",
            "details": {"field": "reason"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "request_supplement", "reason": "r", "items": "x"},
        422,
        {
            "error": "invalid_request",
            "message": "Thành phần hồ sơ (components) phải là một danh sách.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "request_supplement", "reason": "r", "items": [{"name": ""}]},
        422,
        {
            "error": "invalid_request",
            "message": "Mỗi thành phần hồ sơ cần có tên (name).",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "request_supplement", "reason": "r", "items": [{"name": "a", "ban_chinh": "1"}]},
        422,
        {
            "error": "invalid_request",
            "message": "Số bản (ban_chinh) phải là số nguyên 0–99.",
            "details": {"field": "components"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise"},
        422,
        {
            "error": "invalid_request",
            "message": "Phiếu xin lỗi cần nêu lý do chậm trễ (reason).",
            "details": {"field": "reason"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise", "reason": "r"},
        422,
        {
            "error": "invalid_request",
            "message": "new_due_at phải là thời điểm ISO 8601.",
            "details": {"field": "new_due_at"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise", "reason": "r", "new_due_at": 5},
        422,
        {
            "error": "invalid_request",
            "message": "new_due_at phải là thời điểm ISO 8601.",
            "details": {"field": "new_due_at"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise", "reason": "r", "new_due_at": "mai"},
        422,
        {
            "error": "invalid_request",
            "message": "new_due_at không đúng định dạng ISO 8601.",
            "details": {"field": "new_due_at"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise", "reason": "r", "new_due_at": "2020-01-01T08:00"},
        422,
        {
            "error": "invalid_request",
            "message": "Ngày hẹn trả mới phải sau thời điểm hiện tại.",
            "details": {"field": "new_due_at"},
        },
    ),
    (
        "staff",
        "/api/v1/dossiers/{code}/events",
        {"action": "apologise", "new_due_at": "mai"},
        422,
        {
            "error": "invalid_request",
            "message": "Phiếu xin lỗi cần nêu lý do chậm trễ (reason).",
            "details": {"field": "reason"},
        },
    ),
    # --- POST /api/v1/tickets/<token>/rating, POST /api/v1/tablet/rating -------------------
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": "binh_thuong"},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": ["hai_long"]},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": "hai_long", "comment": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường comment phải là chuỗi.",
            "details": {"field": "comment"},
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": "hai_long", "comment": "x" * 1001},
        422,
        {
            "error": "invalid_request",
            "message": "Trường comment dài quá 1000 ký tự.",
            "details": {"field": "comment"},
        },
    ),
    (
        "public",
        "/api/v1/tickets/{served}/rating",
        {"level": "bad", "comment": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/nope/rating",
        {"level": "bad"},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "public",
        "/api/v1/tickets/nope/rating",
        {"level": "hai_long", "comment": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường comment phải là chuỗi.",
            "details": {"field": "comment"},
        },
    ),
    (
        "public",
        "/api/v1/tickets/nope/rating",
        {"level": "hai_long"},
        404,
        {"error": "not_found", "message": "Không tìm thấy phiếu."},
    ),
    (
        "public",
        "/api/v1/tickets/{waiting}/rating",
        {"level": "hai_long", "comment": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường comment phải là chuỗi.",
            "details": {"field": "comment"},
        },
    ),
    (
        "public",
        "/api/v1/tickets/{waiting}/rating",
        {"level": "hai_long"},
        409,
        {"error": "conflict", "message": "Quý khách có thể đánh giá sau khi được phục vụ."},
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {"level": "binh_thuong"},
        422,
        {
            "error": "invalid_request",
            "message": "Mức độ hài lòng không hợp lệ.",
            "details": {
                "field": "level",
                "allowed": ["rat_hai_long", "hai_long", "khong_hai_long"],
            },
        },
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {"level": "hai_long", "comment": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trường comment phải là chuỗi.",
            "details": {"field": "comment"},
        },
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {"level": "bad", "number": "Z999"},
        409,
        {"error": "conflict", "message": "Lượt phục vụ đã thay đổi, vui lòng đánh giá lại."},
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {"level": "hai_long", "number": 5},
        409,
        {"error": "conflict", "message": "Lượt phục vụ đã thay đổi, vui lòng đánh giá lại."},
    ),
    (
        "tablet",
        "/api/v1/tablet/rating",
        {"level": "hai_long", "comment": 5, "number": "Z999"},
        409,
        {"error": "conflict", "message": "Lượt phục vụ đã thay đổi, vui lòng đánh giá lại."},
    ),
    # --- the print agent -------------------------------------------------------------------
    (
        "kiosk",
        "/api/v1/print-jobs/999999/done",
        {"state": "bad"},
        409,
        {
            "error": "not_agent_printer",
            "message": "Máy in của thiết bị này không được cấu hình agent://, máy chủ tự in các phiếu của nó.",
        },
    ),
    (
        "kiosk",
        "/api/v1/print-jobs/999999/failed",
        {"error": 5},
        409,
        {
            "error": "not_agent_printer",
            "message": "Máy in của thiết bị này không được cấu hình agent://, máy chủ tự in các phiếu của nó.",
        },
    ),
    (
        "kiosk",
        "/api/v1/printer-status",
        {},
        409,
        {
            "error": "not_agent_printer",
            "message": "Máy in của thiết bị này không được cấu hình agent://, máy chủ tự in các phiếu của nó.",
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/done",
        {"state": "bad"},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/done",
        {"state": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/done",
        {"state": None},
        404,
        {"error": "not_found", "message": "Không có lệnh in này.", "details": {"field": "id"}},
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/done",
        {},
        404,
        {"error": "not_found", "message": "Không có lệnh in này.", "details": {"field": "id"}},
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/failed",
        {"error": 5},
        422,
        {
            "error": "invalid_request",
            "message": "Mô tả lỗi (error) phải là chuỗi.",
            "details": {"field": "error"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/failed",
        {"error": ["x"], "state": "bad"},
        422,
        {
            "error": "invalid_request",
            "message": "Mô tả lỗi (error) phải là chuỗi.",
            "details": {"field": "error"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/failed",
        {"error": "x", "state": "bad"},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/failed",
        {"error": None, "state": 1},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/print-jobs/999999/failed",
        {"error": "jam"},
        404,
        {"error": "not_found", "message": "Không có lệnh in này.", "details": {"field": "id"}},
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu trạng thái máy in (state).",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": None},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu trạng thái máy in (state).",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": "bad"},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": ["ok"]},
        422,
        {
            "error": "invalid_request",
            "message": "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown.",
            "details": {"field": "state"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": "ok", "pending_jobs": -1},
        422,
        {
            "error": "invalid_request",
            "message": "Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.",
            "details": {"field": "pending_jobs"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": "ok", "pending_jobs": True},
        422,
        {
            "error": "invalid_request",
            "message": "Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.",
            "details": {"field": "pending_jobs"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": "ok", "pending_jobs": 1.5},
        422,
        {
            "error": "invalid_request",
            "message": "Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.",
            "details": {"field": "pending_jobs"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"state": "ok", "pending_jobs": "3"},
        422,
        {
            "error": "invalid_request",
            "message": "Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.",
            "details": {"field": "pending_jobs"},
        },
    ),
    (
        "agent",
        "/api/v1/printer-status",
        {"pending_jobs": -1},
        422,
        {
            "error": "invalid_request",
            "message": "Thiếu trạng thái máy in (state).",
            "details": {"field": "state"},
        },
    ),
]


class World:
    """The demo office with what the cases need: dossiers, tickets, an agent:// kiosk."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.officer = Staff(app, "canbo1")
        client = app.test_client()
        served = issue(client, app)
        self.officer.open_counter(1)
        tid = self.officer.call_next(1).get_json()["ticket"]["id"]
        assert self.officer.post(f"/api/v1/tickets/{tid}/start").status_code == 200
        waiting = issue(client, app)
        code = self._accept()
        withdrawn = self._accept()
        r = self.officer.post(f"/api/v1/dossiers/{withdrawn}/events", {"action": "withdraw"})
        assert r.status_code == 200, r.get_json()
        self.names = {
            "code": code,
            "withdrawn": withdrawn,
            "served": served["token"],
            "waiting": waiting["token"],
        }
        self.tokens = {
            "tablet": device_token(app, "tablet"),
            "kiosk": device_token(app, "kiosk"),
            "agent": add_kiosk(app, "Kiosk đại lý in", "agent://")["token"],
        }

    def _accept(self) -> str:
        r = self.officer.post("/api/v1/dossiers", {"procedure": P, "applicant": A})
        assert r.status_code == 201, r.get_json()
        return str(r.get_json()["code"])

    def send(self, who: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """The status and JSON answer of POSTing `body` to `path` as `who`."""
        path = path.format(**self.names)
        if who == "staff":
            r = self.officer.post(path, body)
        elif who == "public":
            r = self.app.test_client().post(path, json=body)
        else:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"}
            r = self.app.test_client().post(path, json=body, headers=headers)
        return r.status_code, r.get_json()
