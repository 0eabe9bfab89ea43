"""ESC/POS bytes for a slip, produced through python-escpos's Dummy printer.

The default path sends the slip as one raster image (GS v 0) and cuts (GS V). The text mode,
off by default, prints through the printer's Vietnamese code pages (TCVN-3, pages 30 and 31 on
Epson-compatible heads) for printers known to have them; only the QR is then a raster.
"""

from __future__ import annotations

import copy
import textwrap
import unicodedata
from functools import lru_cache
from typing import Any

from escpos.capabilities import CAPABILITIES
from escpos.printer import Dummy
from PIL import Image

from printers.layout import (
    REPRINT_MARK,
    SAMPLE_MARK,
    TICKET_QR_CAPTION,
    TICKET_TITLE,
    WIDTH_80MM,
    format_ticket_time,
    qr_image,
    qr_modules,
)
from printers.slips import TicketSlip, session_line

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"
# python-escpos' own raster fragments; small enough for the buffers of cheap printers.
FRAGMENT_HEIGHT = 960

TCVN3_LOWER_PAGE = 30  # "TCVN-3-1": lower-case letters and the base upper-case ones
TCVN3_UPPER_PAGE = 31  # "TCVN-3-2": upper-case letters with tone marks
_PUNCTUATION = {
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "\u00a0": " ",
}


def set_paper_width(printer: Any, width_dots: int) -> None:
    """Tell a python-escpos printer its paper width, so images wider than the paper are refused."""
    # profile_data is shared by every instance of a profile class: copy it before changing it.
    data = copy.deepcopy(printer.profile.profile_data)
    data["media"]["width"]["pixels"] = width_dots
    printer.profile.profile_data = data


def dummy_printer(width_dots: int, profile: Any = None) -> Dummy:
    """Return a Dummy printer (collects bytes) with the given profile and paper width."""
    printer = Dummy(profile=profile)
    set_paper_width(printer, width_dots)
    return printer


def slip_bytes(
    image: Image.Image,
    *,
    cut: bool = True,
    profile: Any = None,
    fragment_height: int = FRAGMENT_HEIGHT,
) -> bytes:
    """Encode a rendered slip: initialise, the image as GS v 0 raster, then feed and cut.

    A slip drawn by printers.layout (mode "1", a whole number of bytes wide) is packed here
    directly, byte for byte what python-escpos writes for it, in a fraction of the time (its
    image path converts every slip through RGBA and greyscale); anything else goes through
    python-escpos (slip_bytes_escpos)."""
    if image.mode != "1" or image.width % 8:
        return slip_bytes_escpos(image, cut=cut, profile=profile, fragment_height=fragment_height)
    out = bytearray(INIT)
    width_bytes = image.width // 8
    # Pillow packs mode "1" as 1 = white; ESC/POS wants 1 = a printed dot.
    packed = image.tobytes().translate(_INVERT)
    for top in range(0, image.height, fragment_height):
        rows = min(fragment_height, image.height - top)
        out += GS + b"v0\x00" + _low_high(width_bytes) + _low_high(rows)
        out += packed[top * width_bytes : (top + rows) * width_bytes]
    if cut:
        out += _cut_bytes(profile)
    return bytes(out)


_INVERT = bytes(255 - i for i in range(256))


def _low_high(n: int) -> bytes:
    return bytes((n & 0xFF, (n >> 8) & 0xFF))


@lru_cache(maxsize=16)
def _cut_bytes(profile: Any) -> bytes:
    """What python-escpos's cut() writes for this profile (feed, then the cut it supports)."""
    printer = Dummy(profile=profile)
    printer.cut()
    return bytes(printer.output)


def slip_bytes_escpos(
    image: Image.Image,
    *,
    cut: bool = True,
    profile: Any = None,
    fragment_height: int = FRAGMENT_HEIGHT,
) -> bytes:
    """slip_bytes through python-escpos's own image path (any image mode and width)."""
    printer = dummy_printer(image.width, profile)
    printer._raw(INIT)
    printer.image(image, impl="bitImageRaster", fragment_height=fragment_height)
    if cut:
        printer.cut()
    return bytes(printer.output)


@lru_cache(maxsize=1)
def _tcvn3_tables() -> dict[str, tuple[int, int]]:
    """Map each character to (code page, byte) from python-escpos' TCVN-3 page data."""
    table: dict[str, tuple[int, int]] = {}
    for page, name in ((TCVN3_UPPER_PAGE, "TCVN-3-2"), (TCVN3_LOWER_PAGE, "TCVN-3-1")):
        for offset, char in enumerate("".join(CAPABILITIES["encodings"][name]["data"])):
            if char != " ":
                table[char] = (page, 0x80 + offset)  # lower page wins for shared letters
    # The printer database spells the capital D-stroke as U+00D0 (Eth); Vietnamese uses U+0110.
    if "Ð" in table:
        table["Đ"] = table["Ð"]
    return table


def encode_tcvn3(text: str, *, page: int | None = None) -> tuple[bytes, int | None]:
    """Encode text for TCVN-3 code pages, switching pages (ESC t n) only when needed.

    Returns the bytes and the code page selected at the end, to pass on to the next call.
    Characters the pages lack become '?'.
    """
    table = _tcvn3_tables()
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        char = _PUNCTUATION.get(char, char)
        if len(char) > 1 or ord(char) < 0x80:
            out += char.encode("ascii", "replace")
            continue
        wanted, code = table.get(char, (None, ord("?")))
        if wanted is not None and wanted != page:
            out += ESC + b"t" + bytes((wanted,))
            page = wanted
        out.append(code)
    return bytes(out), page


class _TextSlip:
    """Writes lines of TCVN-3 text through a Dummy printer."""

    def __init__(self, width_dots: int, profile: Any) -> None:
        self.printer = dummy_printer(width_dots, profile)
        self.columns = max(16, width_dots // 12)  # font A is 12 dots wide
        self.page: int | None = None
        self.printer._raw(INIT)

    def line(self, text: str, *, bold: bool = False, double: bool = False) -> None:
        self.printer.set(align="center", bold=bold, double_width=double, double_height=double)
        width = self.columns // 2 if double else self.columns
        for part in textwrap.wrap(unicodedata.normalize("NFC", text), width) or [""]:
            data, self.page = encode_tcvn3(part, page=self.page)
            self.printer._raw(data + b"\n")

    def big(self, text: str) -> None:
        scale = max(1, min(6, self.columns // max(1, len(text))))
        self.printer.set(align="center", bold=True, custom_size=True, width=scale, height=scale)
        data, self.page = encode_tcvn3(text, page=self.page)
        self.printer._raw(data + b"\n")
        self.printer.set(normal_textsize=True)


def ticket_text_bytes(
    slip: TicketSlip,
    *,
    width_dots: int = WIDTH_80MM,
    profile: Any = None,
    cut: bool = True,
) -> bytes:
    """Encode a ticket as code-page text (TCVN-3) plus a raster QR; only for printers known to
    print TCVN-3 correctly. The raster path (slip_bytes of render_ticket) is the default."""
    out = _TextSlip(width_dots, profile)
    if slip.reprint:
        out.line(REPRINT_MARK, bold=True, double=True)
    if slip.sample:
        out.line(SAMPLE_MARK, bold=True)
    if slip.parent_authority:
        out.line(slip.parent_authority)
    out.line(slip.office_name, bold=True)
    out.line("-" * out.columns)
    out.line(TICKET_TITLE, bold=True, double=True)
    out.big(slip.number)
    out.line(f"Lĩnh vực: {slip.field_name}", bold=True)
    out.line(f"Số người chờ trước: {slip.ahead}")
    out.line(f"Thời gian: {format_ticket_time(slip.issued_at_local)}")
    out.line(session_line(slip))
    box = max(2, min(width_dots // 2, 264) // qr_modules(slip.qr_url))
    qr = qr_image(slip.qr_url, box)
    canvas = Image.new("1", (width_dots, qr.height), 255)
    canvas.paste(qr, ((width_dots - qr.width) // 2, 0))
    out.printer.image(canvas, impl="bitImageRaster")
    out.line(TICKET_QR_CAPTION)
    out.line(slip.footer)
    if cut:
        out.printer.cut()
    return bytes(out.printer.output)
