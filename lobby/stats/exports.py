"""The report as CSV and as an Excel workbook with its charts (openpyxl): the same figures and
units as the screen (durations in minutes, one decimal), written off the event loop."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from core.dossiers import RATING_LABELS_VI, RatingLevel
from core.spreadsheet import SafeWriter, safe_cell
from lobby.offloop import run_off_loop
from lobby.stats.charts import WEEKDAYS_VI

SUMMARY_ROWS = [
    ("Hồ sơ tiếp nhận", ("dossiers", "received")),
    ("Hồ sơ đã giải quyết", ("dossiers", "resolved")),
    ("Trước hạn", ("dossiers", "early")),
    ("Đúng hạn", ("dossiers", "on_time")),
    ("Quá hạn", ("dossiers", "late")),
    ("Tỷ lệ đúng hạn (%)", ("dossiers", "on_time_rate")),
    ("Lượt đánh giá", ("satisfaction", "ratings")),
    ("Rất hài lòng", ("satisfaction", "rat_hai_long")),
    ("Hài lòng", ("satisfaction", "hai_long")),
    ("Bình thường", ("satisfaction", "binh_thuong")),
    ("Không hài lòng", ("satisfaction", "khong_hai_long")),
    ("Rất không hài lòng", ("satisfaction", "rat_khong_hai_long")),
    ("Tỷ lệ hài lòng (%)", ("satisfaction", "rate")),
    ("Tỷ lệ hồ sơ hài lòng (%)", ("satisfaction", "dossier_rate")),
    ("Phiếu đã cấp", ("tickets", "issued")),
    ("Phiếu đã gọi", ("tickets", "called")),
    ("Đã phục vụ", ("tickets", "served")),
    ("Vắng mặt", ("tickets", "no_show")),
    ("Thời gian chờ trung bình (phút)", ("tickets", "avg_wait_seconds")),
    ("Thời gian phục vụ trung bình (phút)", ("tickets", "avg_service_seconds")),
    ("Thời gian chờ p50 (phút)", ("tickets", "wait_p50_seconds")),
    ("Thời gian chờ p90 (phút)", ("tickets", "wait_p90_seconds")),
    ("Thời gian phục vụ p50 (phút)", ("tickets", "service_p50_seconds")),
    ("Thời gian phục vụ p90 (phút)", ("tickets", "service_p90_seconds")),
]
# Durations in minutes (the API's *_seconds keys are converted by _cell), as on the screen.
_SPREAD = ["Chờ p50 (phút)", "Chờ p90 (phút)", "Phục vụ p50 (phút)", "Phục vụ p90 (phút)"]
_TIMES = ["Chờ TB (phút)", "Phục vụ TB (phút)"]
SERVICE_HEADERS = ["Phiếu đã cấp", "Đã gọi", "Đã phục vụ", "Vắng mặt", *_SPREAD, *_TIMES]
# Per counter: the tickets handled there (a field's tickets are issued, not a counter's).
COUNTER_HEADERS = ["Phiếu đã xử lý", "Đã gọi", "Đã phục vụ", "Vắng mặt", *_SPREAD, *_TIMES]
# Per officer and procedure: the tickets they served, or that led to a dossier of it.
SPREAD_HEADERS = ["Phiếu", "Đã gọi", "Đã phục vụ", "Vắng mặt", *_SPREAD]
SPREAD_KEYS = [
    "issued",
    "called",
    "served",
    "no_show",
    "wait_p50_seconds",
    "wait_p90_seconds",
    "service_p50_seconds",
    "service_p90_seconds",
]
GROUP_KEYS = [*SPREAD_KEYS, "avg_wait_seconds", "avg_service_seconds"]
TREND_HEADERS = ["Từ ngày", "Phiếu đã cấp", "Đã phục vụ", "Vắng mặt", "Chờ TB (phút)"]
HEAT_HEADER = "Thứ \\ Giờ"


def period_text(stats: dict[str, Any]) -> str:
    """The report's period as the screen says it: dd/mm/yyyy – dd/mm/yyyy."""
    start, end = (date.fromisoformat(stats[k]) for k in ("from", "to"))
    return f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"


COMMENT_HEADERS = ["Thời gian", "Quầy", "Mức độ", "Góp ý"]


def comment_rows(stats: dict[str, Any]) -> list[list[Any]]:
    """The citizens' comments of the period, newest first, dated the Vietnamese way."""
    return [
        [
            datetime.fromisoformat(c["at"]).strftime("%H:%M %d/%m/%Y"),
            c["counter"],
            RATING_LABELS_VI[RatingLevel(c["level"])],
            c["comment"],
        ]
        for c in stats["satisfaction"]["comments"]
    ]


def _cell(key: str, value: Any) -> Any:
    """A figure in the units the report page shows: durations in minutes, one decimal."""
    if key.endswith("_seconds") and value is not None:
        return round(value / 60, 1)
    return value


def indicator_rows(stats: dict[str, Any]) -> list[list[Any]]:
    """Decision 766's indicators: [code, name, value, full points when], as on the screen."""
    i = stats["indicators_766"]
    rows: list[list[Any]] = [
        [
            "2.1",
            "Tỷ lệ hồ sơ giải quyết đúng hạn (%)",
            i["on_time"]["rate"],
            f"≥ {i['on_time']['full_points']:g} %"
            + ("" if i["on_time"]["confirmed"] else " (chưa xác nhận)"),
        ],
        [
            "3.3",
            "Tỷ lệ hồ sơ trực tuyến (%)",
            i["online"]["rate"],
            f"≥ {i['online']['full_points']:g} %",
        ],
        [
            "4.2",
            "Tỷ lệ số hóa hồ sơ (%)",
            i["digitised"]["rate"],
            f"≥ {i['digitised']['full_points']:g} %",
        ],
        [
            "5.4",
            "Mức độ hài lòng (%)",
            i["satisfaction"]["rate"],
            f"≥ {i['satisfaction']['full_points']:g} %",
        ],
    ]
    for h in i["handling"]:
        rows.append(
            [
                "2.2",
                f"Thời gian giải quyết TB (ngày): {h['procedure']} {h['name']}",
                h["avg_days"],
                f"≤ thời hạn quy định ({h['deadline_value']} {h['deadline_unit']})",
            ]
        )
    return rows


INDICATOR_HEADERS = ["Chỉ số", "Nội dung", "Giá trị", "Đạt điểm tối đa khi"]


def trend_rows(stats: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            date.fromisoformat(r["period"]).strftime("%d/%m/%Y"),
            r["issued"],
            r["served"],
            r["no_show"],
            _cell("avg_wait_seconds", r["avg_wait_seconds"]),
        ]
        for r in stats["trend"]["rows"]
    ]


def heat_rows(stats: dict[str, Any]) -> list[list[Any]]:
    h = stats["heat_map"]
    return [
        [WEEKDAYS_VI[day], *counts] for day, counts in zip(h["weekdays"], h["counts"], strict=True)
    ]


def export_csv(stats: dict[str, Any]) -> str:
    """The report as CSV (UTF-8 with a BOM), written off the event loop."""
    return run_off_loop(_export_csv, stats)


def _export_csv(stats: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = SafeWriter(buf)
    w.writerow(["Báo cáo", period_text(stats)])
    for label, (a, b) in SUMMARY_ROWS:
        w.writerow([label, _cell(b, stats[a][b])])
    w.writerow([])
    w.writerow(INDICATOR_HEADERS)
    for row in indicator_rows(stats):
        w.writerow(row)
    w.writerow([])
    w.writerow(["Lĩnh vực", "Tên", *SERVICE_HEADERS])
    for r in stats["by_service"]:
        w.writerow([r["service"], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS)])
    w.writerow([])
    w.writerow(["Quầy", "Tên", *COUNTER_HEADERS])
    for r in stats["by_counter"]:
        w.writerow([r["counter"], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS)])
    w.writerow([])
    w.writerow(["Cán bộ", "", *SPREAD_HEADERS])
    for r in stats["by_officer"]:
        w.writerow([r["name"], "", *(_cell(k, r[k]) for k in SPREAD_KEYS)])
    w.writerow([])
    w.writerow(["Thủ tục", "Tên", *SPREAD_HEADERS])
    for r in stats["by_procedure"]:
        w.writerow([r["procedure"], r["name"], *(_cell(k, r[k]) for k in SPREAD_KEYS)])
    w.writerow([])
    w.writerow(TREND_HEADERS)
    for row in trend_rows(stats):
        w.writerow(row)
    w.writerow([])
    w.writerow([HEAT_HEADER, *(f"{h}h" for h in stats["heat_map"]["hours"])])
    for row in heat_rows(stats):
        w.writerow(row)
    w.writerow([])
    w.writerow(COMMENT_HEADERS)
    for row in comment_rows(stats):
        w.writerow(row)
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 Vietnamese correctly


def export_xlsx(stats: dict[str, Any]) -> bytes:
    """The report as an Excel workbook, written off the event loop (openpyxl is pure Python:
    between GIL switches the loop keeps serving)."""
    return run_off_loop(_export_xlsx, stats)


def _table(wb: Any, title: str, headers: list[str], rows: list[list[Any]], width: int = 36) -> Any:
    from openpyxl.styles import Font  # openpyxl: only when a workbook is written

    sheet = wb.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])  # names and citizens' words: never a formula
    sheet.column_dimensions["B"].width = width
    return sheet


def _bars(sheet: Any, title: str, column: int, n: int, anchor: str) -> None:
    """A horizontal bar chart of one column of a sheet's rows (labels in column B)."""
    from openpyxl.chart import BarChart, Reference

    if not n:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.legend = None
    chart.add_data(
        Reference(sheet, min_col=column, min_row=1, max_row=n + 1), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=n + 1))
    chart.height, chart.width = 7.5, 16
    sheet.add_chart(chart, anchor)


def _export_xlsx(stats: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append(["Báo cáo", period_text(stats)])
    ws["A1"].font = Font(bold=True)
    for label, (a, b) in SUMMARY_ROWS:
        ws.append([label, _cell(b, stats[a][b])])
    ws.column_dimensions["A"].width = 38
    _table(wb, "Chỉ số 766", INDICATOR_HEADERS, indicator_rows(stats), width=60)
    for title, key, first, headers, chart in (
        ("Theo lĩnh vực", "by_service", "service", SERVICE_HEADERS, "Phiếu đã cấp theo lĩnh vực"),
        ("Theo quầy", "by_counter", "counter", COUNTER_HEADERS, "Phiếu đã xử lý theo quầy"),
    ):
        rows = [[r[first], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS)] for r in stats[key]]
        sheet = _table(wb, title, ["Mã" if first == "service" else "Quầy", "Tên", *headers], rows)
        _bars(sheet, chart, 3, len(rows), f"A{len(rows) + 3}")
    for title, key, first, label in (
        ("Theo cán bộ", "by_officer", "name", "Cán bộ"),
        ("Theo thủ tục", "by_procedure", "procedure", "Thủ tục"),
    ):
        rows = [
            [r[first], r["name"] if first != "name" else "", *(_cell(k, r[k]) for k in SPREAD_KEYS)]
            for r in stats[key]
        ]
        _table(wb, title, [label, "Tên", *SPREAD_HEADERS], rows)
    trend = _table(wb, "Xu hướng", TREND_HEADERS, trend_rows(stats), width=14)
    n = len(stats["trend"]["rows"])
    if n:
        for columns, title, anchor in (
            ((2, 4), "Số phiếu theo thời gian", "G2"),
            ((5, 5), "Thời gian chờ trung bình (phút)", "G20"),
        ):
            chart = LineChart()
            chart.title = title
            chart.add_data(
                Reference(trend, min_col=columns[0], max_col=columns[1], min_row=1, max_row=n + 1),
                titles_from_data=True,
            )
            chart.set_categories(Reference(trend, min_col=1, min_row=2, max_row=n + 1))
            chart.height, chart.width = 8, 18
            trend.add_chart(chart, anchor)
    hours = stats["heat_map"]["hours"]
    heat = _table(wb, "Theo giờ", [HEAT_HEADER, *(f"{h}h" for h in hours)], heat_rows(stats), 8)
    if heat.max_row > 1:
        last = heat.cell(row=heat.max_row, column=len(hours) + 1).coordinate
        heat.conditional_formatting.add(
            f"B2:{last}",
            ColorScaleRule(
                start_type="min", start_color="FFFFFF", end_type="max", end_color="C0392B"
            ),
        )
    notes = _table(wb, "Góp ý", COMMENT_HEADERS, comment_rows(stats), width=8)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 20
    notes.column_dimensions["D"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
