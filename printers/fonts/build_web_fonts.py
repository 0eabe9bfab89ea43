"""Rebuild the web subsets in web/: python -m printers.fonts.build_web_fonts.

Keeps Latin, Latin Extended and Vietnamese (the ranges below) so pages stay light. Writes WOFF2
when the `brotli` package is installed, otherwise WOFF (zlib), which every browser also reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from printers.fonts import WEB_FONT_DIR, font_path

UNICODE_RANGES = (
    "U+0000-00FF, U+0102-0103, U+0110-0111, U+0128-0129, U+0168-0169, U+01A0-01A1,"
    " U+01AF-01B0, U+0300-0301, U+0303-0304, U+0308-0309, U+0323, U+0329, U+1EA0-1EF9,"
    " U+20AB, U+2013-2014, U+2018-201D, U+2026"
)


def parse_ranges(spec: str) -> list[int]:
    """Expand 'U+0000-00FF, U+0323' into the list of code points."""
    points: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.removeprefix("U+").partition("-")
        points.extend(range(int(first, 16), int(last or first, 16) + 1))
    return points


def woff_flavor() -> str:
    """Return 'woff2' when brotli can compress it, else 'woff'."""
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "woff"
    return "woff2"


def build(out_dir: Path = WEB_FONT_DIR) -> list[Path]:
    """Write the Regular and Bold subsets to out_dir and return their paths."""
    flavor = woff_flavor()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for bold in (False, True):
        source = font_path(bold)
        options = subset.Options()
        options.flavor = flavor
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = TTFont(source)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=parse_ranges(UNICODE_RANGES))
        subsetter.subset(font)
        target = out_dir / f"{source.stem}.{flavor}"
        subset.save_font(font, str(target), options)
        written.append(target)
    return written


if __name__ == "__main__":
    for path in build():
        print(path, path.stat().st_size, file=sys.stderr)
