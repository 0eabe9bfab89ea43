"""The administrator's list of procedures (/admin/procedures): what dossiers are accepted for
and the time the law gives; the kiosk, the API and dossier acceptance follow at once."""

from __future__ import annotations

from typing import Any

from tests.integration.helpers import Staff


def _post(staff: Staff, **form: Any) -> str:
    r = staff.client.post(
        "/admin/procedures", data={"csrf_token": staff.csrf, **form}, follow_redirects=True
    )
    assert r.status_code == 200, r.status_code
    return str(r.get_data(as_text=True))


def _ids(app: Any) -> tuple[int, int]:
    from lobby.extensions import db
    from lobby.models import Field, Procedure

    with app.app_context():
        field = db.session.scalar(db.select(Field.id).where(Field.code == "kinh_te"))
        proc = db.session.scalar(db.select(Procedure.id).where(Procedure.code == "HT-KS"))
        return int(field), int(proc)


NEW = {
    "action": "procedure_add",
    "code": "kt-attp",  # stored in capitals
    "national_code": "2.000591",
    "name_vi": "Xác nhận kiến thức an toàn thực phẩm",
    "deadline_value": "3",
    "deadline_unit": "working_day",
    "fee_text": "30.000 đồng",
    "components": "Đơn đề nghị xác nhận\n\n  Bài kiểm tra kiến thức  \n",
    "active": "1",
}


def test_a_procedure_added_on_the_page_is_listed_and_accepts_dossiers(app: Any) -> None:
    admin = Staff(app, "admin")
    field_id, _ = _ids(app)
    assert "Đã thêm thủ tục KT-ATTP." in _post(admin, **NEW, field=str(field_id))
    listed = app.test_client().get("/api/v1/procedures?service=kinh_te").get_json()
    proc = next(p for p in listed["procedures"] if p["code"] == "KT-ATTP")
    assert proc["deadline"] == {"value": 3, "unit": "working_day"}
    assert proc["fee"] == "30.000 đồng" and proc["national_code"] == "2.000591"
    assert [c["name"] for c in proc["components"]] == [
        "Đơn đề nghị xác nhận",
        "Bài kiểm tra kiến thức",
    ]
    # Monday 30 Nov 2026 08:00 + 3 working days (24 working hours) = Thursday 08:00.
    got = admin.post(
        "/api/v1/dossiers", {"procedure": "KT-ATTP", "applicant": {"full_name": "Lê Văn C"}}
    )
    assert got.status_code == 201, got.get_json()
    assert got.get_json()["due_at"] == "2026-12-03T08:00:00+07:00"


def test_editing_a_procedure_keeps_its_code_and_the_copy_counts_of_its_documents(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Procedure

    admin = Staff(app, "admin")
    _, proc_id = _ids(app)
    with app.app_context():
        p = db.session.get(Procedure, proc_id)
        first = {
            "name": p.components[0]["name"],
            "ban_chinh": 0,
            "ban_chung_thuc": 2,
            "ban_photo": 1,
        }
        p.components = [first, *p.components[1:]]  # two certified copies and one photocopy
        db.session.commit()
        before = list(p.components)
        field_id = p.field_id
    assert before, "the demo's birth registration lists its documents"
    lines = "\n".join([c["name"] for c in before] + ["Giấy tờ mới"])
    form = {
        "action": "procedure_save",
        "id": str(proc_id),
        "field": str(field_id),
        "name_vi": "Đăng ký khai sinh (trong ngày)",
        "deadline_unit": "same_day",
        "deadline_value": "",
        "fee_text": "Miễn lệ phí",
        "components": lines,
        "active": "1",
    }
    assert "Đã lưu thủ tục HT-KS." in _post(admin, **form)
    with app.app_context():
        p = db.session.get(Procedure, proc_id)
        assert p.code == "HT-KS" and p.name_vi == "Đăng ký khai sinh (trong ngày)"
        assert p.components[0] == first
        assert [c["name"] for c in p.components[: len(before)]] == [c["name"] for c in before]
        assert p.components[-1] == {
            "name": "Giấy tờ mới",
            "ban_chinh": 1,
            "ban_chung_thuc": 0,
            "ban_photo": 0,
        }
        assert p.same_day_cutoff is not None
    _post(admin, **{**form, "active": ""})
    listed = app.test_client().get("/api/v1/procedures").get_json()["procedures"]
    assert "HT-KS" not in [p["code"] for p in listed]
    r = admin.post("/api/v1/dossiers", {"procedure": "HT-KS", "applicant": {"full_name": "A"}})
    assert r.status_code == 404


def test_bad_procedures_are_refused_with_a_message_and_nothing_is_added(app: Any) -> None:
    admin = Staff(app, "admin")
    field_id, _ = _ids(app)
    cases = [
        ({"code": "HT-KS"}, "Đã có thủ tục mã HT-KS."),
        ({"code": "khai sinh"}, "Mã thủ tục gồm chữ in hoa không dấu"),
        ({"field": "9999"}, "Không có lĩnh vực này."),
        ({"deadline_unit": "fortnight"}, "Đơn vị thời hạn không hợp lệ."),
        ({"deadline_value": "0"}, "Thời hạn giải quyết phải từ 1 đến 365."),
        ({"deadline_value": ""}, "Thời hạn giải quyết phải là một số nguyên."),
        ({"name_vi": ""}, "Cần nhập tên thủ tục."),
        ({"components": "x\n" * 51}, "Tối đa 50 thành phần hồ sơ."),
    ]
    for change, message in cases:
        page = _post(admin, **{**NEW, "field": str(field_id), **change})
        assert message in page, change
    listed = app.test_client().get("/api/v1/procedures").get_json()["procedures"]
    assert "KT-ATTP" not in [p["code"] for p in listed]
    assert "Không có thủ tục này." in _post(admin, action="procedure_save", id="x")


def test_only_an_administrator_manages_procedures(app: Any) -> None:
    for username in ("lanhdao", "canbo1"):
        staff = Staff(app, username)
        assert staff.get("/admin/procedures").status_code == 403
    page = Staff(app, "admin").get("/admin/procedures").get_data(as_text=True)
    assert "Đăng ký khai sinh" in page and "ngày làm việc" in page


def _upload(staff: Staff, content: bytes) -> str:
    import io

    r = staff.client.post(
        "/admin/procedures",
        data={
            "csrf_token": staff.csrf,
            "action": "procedure_import",
            "file": (io.BytesIO(content), "thu-tuc.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert r.status_code == 200
    return str(r.get_data(as_text=True))


def _api_procedures(app: Any) -> dict[str, Any]:
    listed = app.test_client().get("/api/v1/procedures").get_json()["procedures"]
    return {p["code"]: p for p in listed}


def test_the_list_downloads_as_csv_and_loads_back_unchanged(app: Any) -> None:
    admin = Staff(app, "admin")
    _take_out_of_use(app, "HT-TL")
    r = admin.client.get("/admin/procedures.csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    raw = r.get_data()
    assert raw.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    text = raw.decode("utf-8-sig")
    header = "ma,linh_vuc,ten,thoi_han,don_vi,phi,ma_quoc_gia,thanh_phan,dang_dung,can_cu"
    assert text.splitlines()[0] == header
    assert "HT-KS,ho_tich,Đăng ký khai sinh,0,same_day,Miễn lệ phí" in text
    assert ",1,Luật Hộ tịch số 60/2014/QH13" in text  # the legal basis (/thu-tuc posts it)
    before = _api_procedures(app)
    public = app.test_client().get("/thu-tuc").get_data(as_text=True)
    page = _upload(admin, raw)
    assert f"Đã nhập: 0 thủ tục mới, {len(before) + 1} thủ tục cập nhật." in page
    assert _api_procedures(app) == before  # the one out of use stays out of use
    assert app.test_client().get("/thu-tuc").get_data(as_text=True) == public


def _take_out_of_use(app: Any, code: str) -> None:
    from lobby.extensions import db
    from lobby.models import Procedure

    with app.app_context():
        db.session.scalar(db.select(Procedure).where(Procedure.code == code)).active = False
        db.session.commit()


def test_a_spreadsheet_adds_and_updates_procedures_by_code(app: Any) -> None:
    admin = Staff(app, "admin")
    content = (
        "ma;linh_vuc;ten;thoi_han;don_vi;phi;ma_quoc_gia;thanh_phan\n"
        "HT-KS;ho_tich;Đăng ký khai sinh;1;working_day;Miễn lệ phí;1.001193;"
        "Tờ khai đăng ký khai sinh|Giấy chứng sinh\n"
        "tp-attp;kinh_te;Xác nhận kiến thức an toàn thực phẩm;5;working_day;30.000 đồng;;"
        "Đơn đề nghị | Bài kiểm tra\n"
    ).encode()
    assert "Đã nhập: 1 thủ tục mới, 1 thủ tục cập nhật." in _upload(admin, content)
    procs = _api_procedures(app)
    assert procs["HT-KS"]["deadline"] == {"value": 1, "unit": "working_day"}
    assert procs["HT-KS"]["national_code"] == "1.001193"
    assert procs["TP-ATTP"]["service"] == "kinh_te"
    assert [c["name"] for c in procs["TP-ATTP"]["components"]] == ["Đơn đề nghị", "Bài kiểm tra"]


def test_a_file_without_the_national_code_column_keeps_the_codes(app: Any) -> None:
    admin = Staff(app, "admin")
    with_code = (
        "ma,linh_vuc,ten,thoi_han,don_vi,ma_quoc_gia\n"
        "HT-KS,ho_tich,Đăng ký khai sinh,0,same_day,1.001193\n"
        "HT-KH,ho_tich,Đăng ký kết hôn,0,same_day,1.000894\n"
    )
    assert "0 thủ tục mới, 2 thủ tục cập nhật." in _upload(admin, with_code.encode())
    without = "ma,linh_vuc,ten,thoi_han,don_vi\nHT-KS,ho_tich,Đăng ký khai sinh,1,working_day\n"
    assert "0 thủ tục mới, 1 thủ tục cập nhật." in _upload(admin, without.encode())
    procs = _api_procedures(app)
    assert procs["HT-KS"]["deadline"] == {"value": 1, "unit": "working_day"}  # the file applied
    assert procs["HT-KS"]["national_code"] == "1.001193"  # no column: left as it was
    emptied = "ma,linh_vuc,ten,thoi_han,don_vi,ma_quoc_gia\nHT-KH,ho_tich,Kết hôn,0,same_day,\n"
    assert "0 thủ tục mới, 1 thủ tục cập nhật." in _upload(admin, emptied.encode())
    assert _api_procedures(app)["HT-KH"]["national_code"] == ""  # an empty cell clears it


def test_a_file_with_a_wrong_row_changes_nothing_and_says_which_rows(app: Any) -> None:
    admin = Staff(app, "admin")
    before = _api_procedures(app)
    content = (
        "ma,linh_vuc,ten,thoi_han,don_vi,phi,ma_quoc_gia,thanh_phan\n"
        "TP-ATTP,kinh_te,Xác nhận kiến thức,5,working_day,,,\n"
        "TP-X,kinh_te,Một thủ tục,5,fortnight,,,\n"
        "TP-Y,thue,Một thủ tục khác,5,working_day,,,\n"
        "TP-ATTP,kinh_te,Lặp lại,5,working_day,,,\n"
    ).encode()
    page = _upload(admin, content)
    assert "Chưa nhập gì." in page
    assert "Dòng 3: Đơn vị thời hạn không hợp lệ." in page
    assert "Dòng 4: Không có lĩnh vực mã “thue”." in page
    assert "Dòng 5: Mã TP-ATTP lặp lại trong tệp." in page
    assert _api_procedures(app) == before
    assert "Tệp phải là CSV mã hóa UTF-8." in _upload(admin, "ma,ten\nX,Đăng ký".encode("utf-16"))
    assert "Tệp thiếu cột: linh_vuc, thoi_han, don_vi." in _upload(admin, b"ma,ten\nX,Y\n")
    assert "Chọn tệp CSV danh sách thủ tục." in _upload(admin, b"")
    huge = b"ma,linh_vuc,ten,thoi_han,don_vi\nX,ho_tich," + b"a" * 200_000 + b",1,working_day\n"
    assert "Tệp CSV không đọc được" in _upload(admin, huge)
    bad_flag = b"ma,linh_vuc,ten,thoi_han,don_vi,dang_dung\nTP-Z,ho_tich,Z,1,working_day,yes\n"
    assert "Dòng 2: Cột dang_dung chỉ nhận 1 (đang dùng) hoặc 0." in _upload(admin, bad_flag)
    assert _api_procedures(app) == before
