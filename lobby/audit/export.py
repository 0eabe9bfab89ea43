"""The audit trail and each officer's day as files: CSV and an Excel workbook (two sheets),
gathered and written off the event loop."""

from __future__ import annotations

import io
from typing import Any

from core.spreadsheet import SafeWriter, safe_cell
from lobby.audit.views import ACTION_LABELS, EXPORT_ROWS, Filters, officer_days, trail
from lobby.offloop import run_off_loop_in_app

TRAIL_HEADERS = [
    "Thời điểm",
    "Cán bộ",
    "Thao tác",
    "Quầy",
    "Số thứ tự",
    "Lý do",
    "Thời lượng (giây)",
    "Ghi chú",
]
DAY_HEADERS = [
    "Ngày",
    "Cán bộ",
    "Lượt gọi",
    "Số đã hoàn thành",
    "Thời gian phục vụ (giây)",
    "Lần tạm nghỉ",
    "Thời gian tạm nghỉ (giây)",
]


def trail_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["at"],
            r["officer"],
            ACTION_LABELS.get(r["action"], r["action"]),
            r["counter"] if r["counter"] is not None else "",
            r["ticket"],
            r["reason"],
            r["seconds"] if r["seconds"] is not None else "",
            r["note"],
        ]
        for r in rows
    ]


def day_rows(days: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            d["day"],
            d["officer"],
            d["calls"],
            d["finished"],
            d["serving_seconds"],
            d["pauses"],
            d["pause_seconds"],
        ]
        for d in days
    ]


def _gather(f: Filters) -> tuple[list[list[Any]], list[list[Any]]]:
    rows, _more = trail(f, EXPORT_ROWS)
    return trail_rows(rows), day_rows(officer_days(f))


def export_csv(f: Filters) -> str:
    """The trail, then a blank line and each officer's day (one file a spreadsheet opens)."""
    return run_off_loop_in_app(_export_csv, f, one_at_a_time="report")


def _export_csv(f: Filters) -> str:
    trail_part, days_part = _gather(f)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(TRAIL_HEADERS)
    for row in trail_part:
        writer.writerow(row)
    writer.writerow([])
    writer.writerow(DAY_HEADERS)
    for row in days_part:
        writer.writerow(row)
    return out.getvalue()


def export_xlsx(f: Filters) -> bytes:
    """A workbook: "Nhật ký" (the trail) and "Theo cán bộ" (each officer's day)."""
    return run_off_loop_in_app(_export_xlsx, f, one_at_a_time="report")


def _export_xlsx(f: Filters) -> bytes:
    from openpyxl import Workbook  # pure Python and heavy: loaded with the first workbook
    from openpyxl.styles import Font

    trail_part, days_part = _gather(f)
    wb = Workbook()
    for i, (title, headers, rows) in enumerate(
        (("Nhật ký", TRAIL_HEADERS, trail_part), ("Theo cán bộ", DAY_HEADERS, days_part))
    ):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])  # names and reasons: never a formula
        ws.column_dimensions["A"].width = 26 if i == 0 else 12
        ws.column_dimensions["B"].width = 24
        ws.column_dimensions["C"].width = 22
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
