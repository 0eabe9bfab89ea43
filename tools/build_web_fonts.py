"""Rebuild the web font subsets in printers/fonts/web/ (a one-off tool, not a runtime dependency).

    python tools/build_web_fonts.py      # needs fontTools and brotli, e.g. in a throw-away venv:
    python3 -m venv /tmp/fontvenv && /tmp/fontvenv/bin/pip install fonttools brotli
    /tmp/fontvenv/bin/python tools/build_web_fonts.py

Keeps Latin, Latin Extended and Vietnamese (the ranges below) of the bundled Noto Sans, without
TrueType hinting (phones render unhinted outlines well; hinting is a third of the file), and
writes each weight twice: WOFF2 (brotli, what every current browser asks for first) and WOFF
(zlib, the fallback named second in the CSS). The generated files are committed; then
tests/unit/test_web_fonts.py checks that the CSS asks for them by their current `?v=` hashes.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from printers.fonts import WEB_FONT_DIR, font_path  # noqa: E402

UNICODE_RANGES = (
    "U+0000-00FF, U+0102-0103, U+0110-0111, U+0128-0129, U+0168-0169, U+01A0-01A1,"
    " U+01AF-01B0, U+0300-0301, U+0303-0304, U+0308-0309, U+0323, U+0329, U+1EA0-1EF9,"
    " U+20AB, U+2013-2014, U+2018-201D, U+2026"
)
# Kerning and the marks that stack Vietnamese diacritics; the rest (small caps, old-style
# figures, fractions…) no page uses.
LAYOUT_FEATURES = ["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk"]
FLAVORS = ("woff2", "woff")


def parse_ranges(spec: str) -> list[int]:
    """Expand 'U+0000-00FF, U+0323' into the list of code points."""
    points: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.removeprefix("U+").partition("-")
        points.extend(range(int(first, 16), int(last or first, 16) + 1))
    return points


def build(out_dir: Path = WEB_FONT_DIR) -> list[Path]:
    """Write the Regular and Bold subsets, as WOFF2 and WOFF, to out_dir; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for bold in (False, True):
        source = font_path(bold)
        for flavor in FLAVORS:
            options = subset.Options()
            options.flavor = flavor
            options.layout_features = LAYOUT_FEATURES
            options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names, version, licence
            options.notdef_outline = True
            options.hinting = False
            options.desubroutinize = True
            font = TTFont(source)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=parse_ranges(UNICODE_RANGES))
            subsetter.subset(font)
            target = out_dir / f"{source.stem}.{flavor}"
            subset.save_font(font, str(target), options)
            written.append(target)
    return written


def version(path: Path) -> str:
    """The `?v=` the CSS puts after a font's URL: the first 10 hex digits of its SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


if __name__ == "__main__":
    for path in build():
        print(f"{path.relative_to(REPO)}  {path.stat().st_size} bytes  ?v={version(path)}")
