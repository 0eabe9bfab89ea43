"""Charts drawn on the server as SVG text: trend lines, horizontal bars, an hour × weekday heat
map. No script and no style attribute (the pages' CSP): every colour and font comes from a class
(`.chart .s0`, `.bar`, `.h0`…`.h5`, styled by the static CSS), so the same SVG prints on A4.
Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

HEAT_LEVELS = 6  # .h0 (none) … .h5 (the busiest cell)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _label(v: float) -> str:
    return _num(v) if v != int(v) else str(int(v))


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def nice_max(v: float) -> float:
    """A round upper end for an axis: 1, 2, 2.5 or 5 times a power of ten, at least v."""
    if v <= 0:
        return 1.0
    p = 10 ** len(str(int(v))) / 10 if v >= 1 else 0.1
    while p > v:
        p /= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * p >= v:
            return m * p
    return 10 * p  # pragma: no cover


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: int = 960,
    height: int = 240,
) -> str:
    """Lines over shared x labels (a gap where a value is None), with a y axis from 0, a few
    x labels and a legend. Series are drawn with classes s0, s1, …"""
    left, right, top, bottom = 44, 12, 24, 40
    w, h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    top_v = nice_max(max(values, default=0))
    n = len(labels)

    def x(i: int) -> float:
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h - h * v / top_v

    body = []
    for k in range(5):
        v = top_v * k / 4
        body.append(
            f'<line class="grid" x1="{left}" x2="{left + w}" y1="{_num(y(v))}" y2="{_num(y(v))}"/>'
            f'<text class="tick" x="{left - 4}" y="{_num(y(v) + 4)}" text-anchor="end">'
            f"{_label(v)}</text>"
        )
    step = max(1, -(-n // 8))
    for i in range(0, n, step):
        body.append(
            f'<text class="tick" x="{_num(x(i))}" y="{top + h + 16}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    for s, (name, vs) in enumerate(series):
        runs: list[list[str]] = [[]]
        for i, point in enumerate(vs):
            if point is None:
                runs.append([])
            else:
                runs[-1].append(f"{_num(x(i))},{_num(y(point))}")
        for run in runs:
            if len(run) > 1:
                body.append(f'<polyline class="line s{s}" points="{" ".join(run)}"/>')
            elif run:
                cx, cy = run[0].split(",")
                body.append(f'<circle class="dot s{s}" cx="{cx}" cy="{cy}" r="3"/>')
        lx = left + 150 * s
        body.append(
            f'<rect class="key s{s}" x="{lx}" y="{height - 14}" width="12" height="4"/>'
            f'<text class="tick" x="{lx + 16}" y="{height - 9}">{escape(name)}</text>'
        )
    return _svg(width, height, title, body)


def bar_chart(
    title: str, rows: Sequence[tuple[str, float | None]], *, unit: str = "", width: int = 360
) -> str:
    """Horizontal bars, one per row, each labelled with its value (— when None)."""
    bar, gap, label_w, top = 18, 6, 120, 8
    height = top + len(rows) * (bar + gap) + 4
    top_v = nice_max(max((v for _, v in rows if v is not None), default=0))
    w = width - label_w - 56
    body = []
    for i, (name, v) in enumerate(rows):
        y = top + i * (bar + gap)
        body.append(
            f'<text class="tick" x="{label_w - 6}" y="{y + 13}" text-anchor="end">'
            f"{escape(name[:18])}</text>"
        )
        length = 0.0 if v is None else w * v / top_v
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{_num(length)}" height="{bar}"/>'
        )
        text = "—" if v is None else f"{_label(v)}{unit}"
        body.append(
            f'<text class="value" x="{_num(label_w + length + 4)}" y="{y + 13}">{text}</text>'
        )
    return _svg(width, height, title, body)


def heat_level(n: int, busiest: int) -> int:
    """The class of a cell: 0 for none, else 1…5 by its share of the busiest cell."""
    if n <= 0 or busiest <= 0:
        return 0
    return max(1, min(HEAT_LEVELS - 1, -(-n * (HEAT_LEVELS - 1) // busiest)))


def heat_map(
    title: str,
    rows: Sequence[str],
    hours: Sequence[int],
    counts: Sequence[Sequence[int]],
    *,
    width: int = 960,
) -> str:
    """A grid: one row per weekday (`rows`), one column per hour, each cell's class h0…h5 by
    its count, the count written in it."""
    left, top, cell_h = 36, 18, 24
    cell_w = (width - left - 4) / max(1, len(hours))
    busiest = max((n for r in counts for n in r), default=0)
    body = []
    for j, hour in enumerate(hours):
        body.append(
            f'<text class="tick" x="{_num(left + cell_w * (j + 0.5))}" y="{top - 5}" '
            f'text-anchor="middle">{hour}h</text>'
        )
    for i, name in enumerate(rows):
        y = top + i * cell_h
        body.append(
            f'<text class="tick" x="{left - 4}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
        )
        for j, n in enumerate(counts[i]):
            x = left + cell_w * j
            body.append(
                f'<rect class="cell h{heat_level(n, busiest)}" x="{_num(x)}" y="{y}" '
                f'width="{_num(cell_w - 1)}" height="{cell_h - 1}"><title>{escape(name)} {hours[j]}h: '
                f"{n}</title></rect>"
            )
            if n:
                body.append(
                    f'<text class="num" x="{_num(x + cell_w / 2)}" y="{y + 16}" '
                    f'text-anchor="middle">{n}</text>'
                )
    return _svg(width, top + len(rows) * cell_h + 4, title, body)
