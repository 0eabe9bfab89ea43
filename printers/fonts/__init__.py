"""The bundled Vietnamese-capable font (Noto Sans, SIL OFL 1.1; see OFL.txt)."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
#: Latin + Vietnamese subsets of the same font for the web pages (see build_web_fonts.py).
WEB_FONT_DIR = FONT_DIR / "web"


def font_path(bold: bool = False) -> Path:
    """Return the path of the bundled TrueType font used for printing."""
    return FONT_DIR / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")


def web_font_path(bold: bool = False) -> Path:
    """Return the web subset of the font, WOFF2 when it was built, else WOFF."""
    stem = "NotoSans-Bold" if bold else "NotoSans-Regular"
    for suffix in (".woff2", ".woff"):
        candidate = WEB_FONT_DIR / (stem + suffix)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no web font {stem}.woff2/.woff in {WEB_FONT_DIR}")
