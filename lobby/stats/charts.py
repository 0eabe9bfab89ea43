"""The report's charts as SVG text (core.svgchart), from the figures of report.office_stats:
the trend as lines, tickets by field and by counter as bars, the hour × weekday heat map. The
same figures and units as the tables beside them (durations in minutes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from core.figures import minutes
from core.svgchart import bar_chart, heat_map, line_chart

WEEKDAYS_VI = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


def period_label(iso: str, grain: str) -> str:
    """A trend period as the axis says it: 05/11 (day), from 02/11 (week), 11/2026 (month)."""
    d = date.fromisoformat(iso)
    return f"{d:%m/%Y}" if grain == "month" else f"{d:%d/%m}"


def charts(s: dict[str, Any]) -> dict[str, str]:
    """Each chart's SVG by name: trend, wait_trend, by_service, by_counter, heat_map."""
    grain = s["trend"]["grain"]
    rows = s["trend"]["rows"]
    labels = [period_label(r["period"], grain) for r in rows]
    heat = s["heat_map"]
    return {
        "trend": line_chart(
            _("Số phiếu theo thời gian"),
            labels,
            [
                (_("Phiếu đã cấp"), [r["issued"] for r in rows]),
                (_("Đã phục vụ"), [r["served"] for r in rows]),
                (_("Vắng mặt"), [r["no_show"] for r in rows]),
            ],
        ),
        "wait_trend": line_chart(
            _("Thời gian chờ trung bình (phút)"),
            labels,
            [(_("Chờ TB (phút)"), [minutes(r["avg_wait_seconds"]) for r in rows])],
            height=200,
        ),
        "by_service": bar_chart(
            _("Phiếu đã cấp theo lĩnh vực"), [(r["name"], r["issued"]) for r in s["by_service"]]
        ),
        "by_counter": bar_chart(
            _("Phiếu đã xử lý theo quầy"),
            [(f"{_('Quầy')} {r['counter']}", r["issued"]) for r in s["by_counter"]],
        ),
        "heat_map": heat_map(
            _("Phiếu đã cấp theo giờ và thứ"),
            [WEEKDAYS_VI[i] for i in heat["weekdays"]],
            heat["hours"],
            heat["counts"],
        ),
    }
