"""The demo office (DOMAIN §11): fictitious sample data, marked as such."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from core.access import DeviceKind, Role
from core.clock import OFFICE_TZ
from core.deadlines import DeadlineUnit
from core.numbering import DEFAULT_WINDOWS
from lobby.auth import DEVICE_TOKEN_PREFIX, hash_password, new_token, token_hash
from lobby.context import ctx
from lobby.extensions import db
from lobby.models import Counter, Device, Field, Office, Procedure, StaffUser, WorkingWindow
from lobby.setup.catalogue import SAME_DAY_CUTOFF

OFFICE = {
    "code": "thanh-loi",
    "name": "Trung tâm Phục vụ hành chính công xã Thạnh Lợi",
    "parent_authority": "UBND xã Thạnh Lợi",
    "province": "Tây Ninh",
    "agency_code": "000.00.00.H00",  # fictitious: the real one comes from the province
    "address": "Ấp 1, xã Thạnh Lợi, tỉnh Tây Ninh (dữ liệu mẫu)",
    "hotline": "0276 3800 000",
    "timezone": OFFICE_TZ,
}

# code, prefix, Vietnamese name, English name, colour, sensitive
FIELDS = [
    ("ho_tich", "A", "Hộ tịch", "Civil status", "#1565c0", False),
    ("chung_thuc", "B", "Chứng thực", "Certification", "#2e7d32", False),
    ("dat_dai", "C", "Đất đai – Xây dựng", "Land and construction", "#ef6c00", False),
    ("chinh_sach", "D", "Chính sách – Xã hội", "Social policy", "#6a1b9a", True),
    ("kinh_te", "E", "Kinh tế – Hộ kinh doanh", "Business households", "#00838f", False),
    ("hoi_dap", "H", "Hỏi đáp, hướng dẫn", "Questions and guidance", "#546e7a", False),
    ("nhan_ket_qua", "K", "Nhận kết quả", "Collect results", "#c62828", False),
]

# number, name, fields, priority counter
COUNTERS = [
    (1, "Quầy 1 – Hộ tịch, Chứng thực", ["ho_tich", "chung_thuc", "hoi_dap"], False),
    (2, "Quầy 2 – Đất đai, Kinh tế", ["dat_dai", "kinh_te", "hoi_dap"], False),
    (3, "Quầy 3 – Chính sách – Xã hội", ["chinh_sach", "hoi_dap"], False),
    (4, "Quầy 4 – Trả kết quả", ["nhan_ket_qua", "chung_thuc"], False),
    (5, "Quầy 5 – Ưu tiên", [f[0] for f in FIELDS], True),
]

# username, full name (fictitious), title, role, counter
STAFF = [
    ("admin", "Quản trị hệ thống", "Quản trị", Role.ADMIN, None),
    ("lanhdao", "Trần Thị Mẫu", "Giám đốc Trung tâm", Role.LEADER, None),
    ("canbo1", "Nguyễn Văn Một", "Công chức Tư pháp – Hộ tịch", Role.OFFICER, 1),
    ("canbo2", "Lê Thị Hai", "Công chức Địa chính – Xây dựng", Role.OFFICER, 2),
    ("canbo3", "Phạm Văn Ba", "Công chức Văn hóa – Xã hội", Role.OFFICER, 3),
    ("canbo4", "Võ Thị Bốn", "Viên chức Trung tâm", Role.OFFICER, 4),
    ("canbo5", "Đặng Văn Năm", "Viên chức Trung tâm", Role.OFFICER, 5),
]

# code, field, name, value, unit, fee
PROCEDURES = [
    ("HT-KS", "ho_tich", "Đăng ký khai sinh", 0, "same_day", "Miễn lệ phí"),
    ("HT-KH", "ho_tich", "Đăng ký kết hôn", 0, "same_day", "Miễn lệ phí"),
    ("HT-KT", "ho_tich", "Đăng ký khai tử", 0, "same_day", "Miễn lệ phí"),
    (
        "HT-XNTTHN",
        "ho_tich",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        3,
        "working_day",
        "Theo quy định của tỉnh",
    ),
    (
        "HT-TDCC",
        "ho_tich",
        "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        3,
        "working_day",
        "Theo quy định của tỉnh",
    ),
    ("HT-DLKS", "ho_tich", "Đăng ký lại khai sinh", 5, "working_day", "Miễn lệ phí"),
    ("HT-TL", "ho_tich", "Cấp bản sao trích lục hộ tịch", 0, "same_day", "8.000 đồng/bản"),
    ("CT-BS", "chung_thuc", "Chứng thực bản sao từ bản chính", 0, "same_day", "2.000 đồng/trang"),
    ("CT-CK", "chung_thuc", "Chứng thực chữ ký", 0, "same_day", "10.000 đồng/trường hợp"),
    (
        "CT-HD",
        "chung_thuc",
        "Chứng thực hợp đồng, giao dịch",
        2,
        "working_day",
        "50.000 đồng/hợp đồng",
    ),
    (
        "DD-BD",
        "dat_dai",
        "Đăng ký biến động quyền sử dụng đất",
        10,
        "working_day",
        "Theo quy định của tỉnh",
    ),
    (
        "DD-CMD",
        "dat_dai",
        "Chuyển mục đích sử dụng đất",
        15,
        "working_day",
        "Theo quy định của tỉnh",
    ),
    (
        "XD-GP",
        "dat_dai",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        15,
        "working_day",
        "75.000 đồng/giấy phép",
    ),
    ("CS-TCXH", "chinh_sach", "Trợ cấp xã hội hằng tháng", 7, "working_day", "Không"),
    (
        "CS-NKT",
        "chinh_sach",
        "Xác định, xác định lại mức độ khuyết tật",
        20,
        "working_day",
        "Không",
    ),
    ("CS-NCC", "chinh_sach", "Giải quyết chế độ người có công", 12, "working_day", "Không"),
    ("KT-HKD", "kinh_te", "Đăng ký thành lập hộ kinh doanh", 3, "working_day", "100.000 đồng"),
    (
        "KT-TDHKD",
        "kinh_te",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        3,
        "working_day",
        "100.000 đồng",
    ),
]


# What to bring (thành phần hồ sơ), shown on the kiosk and copied onto the receipt (sample data).
ID_DOC = "Giấy tờ tùy thân có ảnh (Căn cước/Hộ chiếu) – bản chính để đối chiếu"
COMPONENTS: dict[str, list[str]] = {
    "HT-KS": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh (bản chính)", ID_DOC],
    "HT-KH": [
        "Tờ khai đăng ký kết hôn",
        "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký ở nơi khác)",
        ID_DOC,
    ],
    "HT-KT": ["Tờ khai đăng ký khai tử", "Giấy báo tử hoặc giấy tờ thay giấy báo tử", ID_DOC],
    "HT-XNTTHN": ["Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", ID_DOC],
    "HT-TDCC": [
        "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Giấy tờ làm căn cứ thay đổi, cải chính",
        ID_DOC,
    ],
    "HT-DLKS": [
        "Tờ khai đăng ký lại khai sinh",
        "Bản sao giấy tờ có nội dung khai sinh (nếu có)",
        ID_DOC,
    ],
    "HT-TL": ["Tờ khai cấp bản sao trích lục hộ tịch", ID_DOC],
    "CT-BS": ["Bản chính giấy tờ cần chứng thực", "Bản sao cần chứng thực"],
    "CT-CK": ["Giấy tờ, văn bản cần chứng thực chữ ký", ID_DOC],
    "CT-HD": [
        "Dự thảo hợp đồng, giao dịch",
        "Giấy tờ chứng minh quyền sở hữu, sử dụng tài sản",
        ID_DOC,
    ],
    "DD-BD": [
        "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất",
        "Giấy chứng nhận đã cấp (bản gốc)",
        "Hợp đồng, văn bản về việc chuyển quyền",
    ],
    "DD-CMD": [
        "Đơn xin chuyển mục đích sử dụng đất",
        "Giấy chứng nhận quyền sử dụng đất (bản gốc)",
    ],
    "XD-GP": [
        "Đơn đề nghị cấp giấy phép xây dựng",
        "Giấy tờ về quyền sử dụng đất",
        "Bản vẽ thiết kế xây dựng",
    ],
    "CS-TCXH": ["Tờ khai đề nghị trợ giúp xã hội", "Giấy tờ chứng minh thuộc đối tượng (nếu có)"],
    "CS-NKT": ["Đơn đề nghị xác định mức độ khuyết tật", "Hồ sơ, giấy tờ y tế liên quan (nếu có)"],
    "CS-NCC": ["Bản khai theo mẫu", "Giấy tờ chứng minh người có công"],
    "KT-HKD": [
        "Giấy đề nghị đăng ký hộ kinh doanh",
        "Biên bản họp thành viên hộ gia đình (nếu có)",
        ID_DOC,
    ],
    "KT-TDHKD": [
        "Thông báo thay đổi nội dung đăng ký hộ kinh doanh",
        "Giấy chứng nhận đăng ký hộ kinh doanh (bản gốc)",
    ],
}


# kind, name, printer
DEVICES = [
    (DeviceKind.KIOSK, "Kiosk sảnh chính", "memory://kiosk-1"),
    (DeviceKind.BOARD, "Màn hình sảnh", None),
    (DeviceKind.TABLET, "Máy đánh giá quầy 1", None),
]


def load_demo() -> dict[str, Any]:
    """Create the demo office once; return its users (with new passwords) and devices (with tokens)."""
    if db.session.scalar(select(Office).limit(1)) is not None:
        raise RuntimeError(
            "the database already has an office; the demo loads only into an empty one"
        )
    o = Office(**OFFICE, settings={"sample_data": True})
    db.session.add(o)
    db.session.flush()
    for w in DEFAULT_WINDOWS:  # Mon–Fri 07:00–11:30, 13:30–17:00, for reception and ticketing
        db.session.add(
            WorkingWindow(
                office_id=o.id, weekday=w.weekday, start=w.start, end=w.end, purpose=w.purpose
            )
        )
    fields = _add_fields(o)
    _add_procedures(o, fields)
    counters = _add_counters(o, fields)
    users = _add_staff(o, counters)
    devices = _add_devices(o)
    db.session.commit()
    return {
        "office": {"name": o.name, "code": o.code, "timezone": o.timezone},
        "users": users,
        "devices": devices,
    }


def _add_fields(o: Office) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for i, (code, prefix, name, name_en, color, sensitive) in enumerate(FIELDS):
        f = Field(
            office_id=o.id,
            code=code,
            ticket_prefix=prefix,
            name_vi=name,
            name_en=name_en,
            color=color,
            sensitive=sensitive,
            sort_order=i,
        )
        db.session.add(f)
        fields[code] = f
    db.session.flush()
    return fields


# The legal basis each sample field's procedures are posted with on /thu-tuc (an office edits
# its own at /admin/procedures).
LEGAL_BASIS = {
    "ho_tich": "Luật Hộ tịch số 60/2014/QH13",
    "chung_thuc": "Nghị định số 23/2015/NĐ-CP về cấp bản sao từ sổ gốc, chứng thực bản sao từ "
    "bản chính, chứng thực chữ ký và chứng thực hợp đồng, giao dịch",
    "dat_dai": "Luật Đất đai số 31/2024/QH15",
    "chinh_sach": "Nghị định số 20/2021/NĐ-CP quy định chính sách trợ giúp xã hội đối với "
    "đối tượng bảo trợ xã hội",
}
PROCEDURE_LAW = {
    "XD-GP": "Luật Xây dựng số 50/2014/QH13",
    "CS-NKT": "Luật Người khuyết tật số 51/2010/QH12",
    "CS-NCC": "Pháp lệnh Ưu đãi người có công với cách mạng số 02/2020/UBTVQH14",
}


def _add_procedures(o: Office, fields: dict[str, Field]) -> None:
    for code, fcode, name, value, unit, fee in PROCEDURES:
        db.session.add(
            Procedure(
                office_id=o.id,
                field_id=fields[fcode].id,
                code=code,
                name_vi=name,
                deadline_value=value,
                deadline_unit=unit,
                fee_text=fee,
                same_day_cutoff=SAME_DAY_CUTOFF if unit == DeadlineUnit.SAME_DAY else None,
                components=[{"name": n, "ban_chinh": 1} for n in COMPONENTS.get(code, [])],
                legal_basis=PROCEDURE_LAW.get(code) or LEGAL_BASIS.get(fcode, ""),
            )
        )


def _add_counters(o: Office, fields: dict[str, Field]) -> dict[int, Counter]:
    counters: dict[int, Counter] = {}
    for number, name, codes, priority in COUNTERS:
        c = Counter(
            office_id=o.id,
            number=number,
            name=name,
            is_priority=priority,
            fields=[fields[c] for c in codes],
        )
        db.session.add(c)
        counters[number] = c
    db.session.flush()
    return counters


def _add_staff(o: Office, counters: dict[int, Counter]) -> list[dict[str, Any]]:
    """The demo accounts, each with a new generated password (returned to show once)."""
    users = []
    for username, full_name, title, role, counter in STAFF:
        password = secrets.token_urlsafe(9)
        db.session.add(
            StaffUser(
                office_id=o.id,
                username=username,
                full_name=full_name,
                title=title,
                password_hash=hash_password(password),
                role=role,
                counter_id=counters[counter].id if counter else None,
            )
        )
        users.append({"username": username, "password": password, "role": role, "counter": counter})
    return users


def _add_devices(o: Office) -> list[dict[str, Any]]:
    """The demo kiosk, board and tablet, each with its token (returned to show once)."""
    now = ctx().clock.now()
    devices = []
    for kind, name, printer in DEVICES:
        token = new_token(DEVICE_TOKEN_PREFIX)
        settings: dict[str, Any] = {"counter": 1} if kind == DeviceKind.TABLET else {}
        db.session.add(
            Device(
                office_id=o.id,
                kind=kind,
                name=name,
                token_hash=token_hash(token),
                printer_url=printer,
                settings=settings,
                created_at=now,
            )
        )
        devices.append({"kind": kind, "name": name, "token": token})
    return devices
