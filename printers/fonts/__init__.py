"""The bundled Vietnamese-capable font (Noto Sans, SIL OFL 1.1; see OFL.txt)."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
#: Latin + Vietnamese subsets of the same font for the web pages (tools/build_web_fonts.py).
WEB_FONT_DIR = FONT_DIR / "web"


def font_path(bold: bool = False) -> Path:
    """Return the path of the bundled TrueType font used for printing."""
    return FONT_DIR / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")


def web_font_path(bold: bool = False, flavor: str = "woff2") -> Path:
    """Return the web subset of the font: WOFF2 (what browsers ask for first) or WOFF."""
    stem = "NotoSans-Bold" if bold else "NotoSans-Regular"
    return WEB_FONT_DIR / f"{stem}.{flavor}"
