"""Charts drawn as SVG on the server (core/svgchart.py): valid XML, no style or script (the
pages' CSP), colours by class, the figures written in."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from core.svgchart import bar_chart, heat_level, heat_map, line_chart, nice_max

NS = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    for el in root.iter():
        assert "style" not in el.attrib and not el.tag.endswith("script")
    assert "style" not in svg and "<script" not in svg
    return root


def test_a_line_chart_has_one_line_per_series_and_gaps_for_missing_values() -> None:
    root = _parsed(
        line_chart("Số phiếu", ["01/11", "02/11", "03/11"], [("A", [1, 2, 3]), ("B", [4, None, 6])])
    )
    lines = root.findall(f"{NS}polyline")
    assert [el.get("class") for el in lines] == ["line s0"]
    assert len(root.findall(f"{NS}circle")) == 2  # B's two lone points around its gap
    assert root.find(f"{NS}title").text == "Số phiếu"


def test_bars_are_as_long_as_their_values_and_labelled() -> None:
    root = _parsed(bar_chart("Theo quầy", [("Quầy 1", 50), ("Quầy 2", 100), ("<Quầy 3>", None)]))
    widths = [float(r.get("width")) for r in root.findall(f"{NS}rect")]
    assert widths[1] == 2 * widths[0] and widths[2] == 0
    texts = [el.text for el in root.iter(f"{NS}text")]
    assert "<Quầy 3>" in texts and "—" in texts and "100" in texts  # escaped, then read back


def test_the_heat_map_colours_cells_by_class() -> None:
    root = _parsed(heat_map("Giờ", ["T2", "T3"], [7, 8], [[0, 10], [5, 1]]))
    cells = [r.get("class") for r in root.findall(f"{NS}rect")]
    assert cells == ["cell h0", "cell h5", "cell h3", "cell h1"]
    assert heat_level(0, 10) == 0 and heat_level(10, 10) == 5 and heat_level(1, 1000) == 1
    assert (
        nice_max(0) == 1.0 and nice_max(7) == 10 and nice_max(120) == 200 and nice_max(2.2) == 2.5
    )
