"""Slips drawn as 1-bit raster images at the printer's width, with the bundled Vietnamese font.

Printer code pages cannot print Vietnamese reliably, so every letter is drawn here (NFC, the
precomposed forms the font has glyphs for) and the printer only receives dots. 576 dots is an
80 mm roll, 384 dots a 58 mm roll (203 dpi heads).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, ImageOps

from printers import qrfast
from printers.fonts import font_path
from printers.slips import RECEIPT_NOTE, ReceiptSlip, TicketSlip, session_line

WIDTH_80MM = 576
WIDTH_58MM = 384

TICKET_TITLE = "PHIẾU SỐ THỨ TỰ"
TICKET_QR_CAPTION = "Quét mã để xem lượt gọi"
RECEIPT_TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
RECEIPT_QR_CAPTION = "Quét mã để tra cứu hồ sơ"
REPRINT_MARK = "IN LẠI"
PRIORITY_MARK = "ƯU TIÊN"
SAMPLE_MARK = "MẪU – DỮ LIỆU THỬ"

Align = Literal["left", "center"]
Box = tuple[int, int, int, int]

# Text darker than this grey level becomes a printed dot. Glyphs are drawn anti-aliased and
# thresholded (never dithered) so thin diacritic strokes keep their shape on a thermal head.
INK_THRESHOLD = 160


@lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Return the bundled font at a pixel size; basic layout is enough for precomposed Vietnamese."""
    return ImageFont.truetype(str(font_path(bold)), size=size, layout_engine=ImageFont.Layout.BASIC)


def nfc(text: str) -> str:
    """Normalise to NFC so every Vietnamese letter is one precomposed glyph."""
    return unicodedata.normalize("NFC", text)


def threshold(image: Image.Image, level: int = INK_THRESHOLD) -> Image.Image:
    """Turn a greyscale drawing (white paper, black ink) into mode "1" without dithering."""
    grey = image.convert("L")
    return grey.point(lambda v: 255 if v >= level else 0, mode="1")


# What does not change from slip to slip (the office, the titles, the captions, the footer) is
# drawn and wrapped once per process: the caches below hold the drawn lines and the wrapping.
# Callers only paste a cached image, never draw on it.
@lru_cache(maxsize=512)
def draw_text(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """Draw one line of text tightly on white, baseline at the font ascent, as mode "1"."""
    text = nfc(text)
    ascent, descent = font.getmetrics()
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    above = max(ascent, -math.floor(top))
    below = max(descent, math.ceil(bottom))
    width = max(1, math.ceil(right) - min(0, math.floor(left)))
    canvas = Image.new("L", (width, above + below), 255)
    ImageDraw.Draw(canvas).text(
        (-min(0, math.floor(left)), above), text, font=font, fill=0, anchor="ls"
    )
    return threshold(canvas)


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break text into lines no wider than max_width, at spaces, splitting only over-long words."""
    return list(_wrap_text(text, font, max_width))


@lru_cache(maxsize=512)
def _wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> tuple[str, ...]:
    text = nfc(" ".join(text.split()))
    if not text:
        return ()
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        # A word wider than the paper (a long code) is cut between characters.
        while font.getlength(word) > max_width:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > max_width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return tuple(lines)


def _even_wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Wrap into as few lines as wrap_text, at the narrowest width that still allows it."""
    lines = wrap_text(text, font, max_width)
    if len(lines) < 2:
        return lines
    low, high = max_width // len(lines), max_width
    while low < high:
        mid = (low + high) // 2
        if len(wrap_text(text, font, mid)) <= len(lines):
            high = mid
        else:
            low = mid + 1
    return wrap_text(text, font, high)


def balanced_wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Wrap into as few lines as wrap_text, as even as possible, after commas when that costs
    no extra line (for centred text: no lone last word, no clause cut in two)."""
    return list(_balanced_wrap(text, font, max_width))


@lru_cache(maxsize=512)
def _balanced_wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> tuple[str, ...]:
    text = nfc(" ".join(text.split()))
    fewest = len(wrap_text(text, font, max_width))
    parts = text.split(", ")
    if fewest > 1 and len(parts) > 1:
        clauses = [part + "," for part in parts[:-1]] + parts[-1:]
        by_clause = [line for clause in clauses for line in _even_wrap(clause, font, max_width)]
        if len(by_clause) == fewest:
            return tuple(by_clause)
    return tuple(_even_wrap(text, font, max_width))


@lru_cache(maxsize=32)
def qr_matrix(data: str, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """Return the QR modules of data (True = dark), quiet zone included, error correction M
    (qrcode's own matrix, the mask chosen fast: printers/qrfast.py)."""
    return qrfast.qr_matrix(data, border)


def qr_modules(data: str, border: int = 4) -> int:
    """Return how many modules wide the QR of data is, quiet zone included."""
    return len(qr_matrix(data, border))


def qr_image(data: str, box_size: int, border: int = 4) -> Image.Image:
    """Return the QR of data with each module exactly box_size dots, as mode "1"."""
    matrix = qr_matrix(data, border)
    n = len(matrix)
    small = Image.new("1", (n, n), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    # Nearest-neighbour scaling by a whole number keeps every module a sharp square.
    return small.resize((n * box_size, n * box_size), Image.Resampling.NEAREST)


@dataclass(frozen=True)
class PlacedText:
    """One drawn line of text and where it landed on the slip."""

    text: str
    size: int
    bold: bool
    box: Box


@dataclass
class RenderedSlip:
    """A slip image plus the positions of its parts (for tests and previews)."""

    image: Image.Image
    lines: list[PlacedText] = field(default_factory=list)
    qr_box: Box | None = None

    def find(self, prefix: str) -> Iterator[PlacedText]:
        """Yield the drawn lines that start with prefix."""
        return (line for line in self.lines if line.text.startswith(nfc(prefix)))


class _Canvas:
    """Stacks blocks top to bottom on a fixed-width white strip."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.scale = width / WIDTH_80MM
        self.margin = max(8, round(12 * self.scale))
        self.blocks: list[tuple[Image.Image, int, int]] = []  # image, x, y
        self.y = 0
        self.lines: list[PlacedText] = []
        self.qr_box: Box | None = None

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin

    def px(self, size: float) -> int:
        return max(1, round(size * self.scale))

    def text_px(self, size: float) -> int:
        # Text shrinks less than the paper: 58 mm slips wrap more rather than turn unreadable.
        return max(8, round(size * (0.5 + 0.5 * self.scale)))

    def space(self, dots: float) -> None:
        self.y += self.px(dots)

    def paste(self, block: Image.Image, align: Align = "center", x: int | None = None) -> Box:
        if x is None:
            x = (self.width - block.width) // 2 if align == "center" else self.margin
        box = (x, self.y, x + block.width, self.y + block.height)
        self.blocks.append((block, x, self.y))
        self.y += block.height
        return box

    def text(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: Align = "center",
        gap: float = 4,
    ) -> None:
        font = load_font(self.text_px(size), bold)
        wrap = balanced_wrap if align == "center" else wrap_text
        for line in wrap(text, font, self.inner):
            box = self.paste(draw_text(line, font), align)
            self.lines.append(PlacedText(line, int(font.size), bold, box))
            self.space(gap)

    def big_number(self, number: str, max_size: float) -> None:
        """The ticket number as large as fits the paper, cropped to its ink so it stays compact."""
        size = self.px(max_size)
        font = load_font(size, True)
        while size > 12 and font.getlength(nfc(number)) > self.inner:
            size -= 2
            font = load_font(size, True)
        image = draw_text(number, font)
        ink = ImageOps.invert(image.convert("L")).getbbox()
        if ink:
            image = image.crop((0, ink[1], image.width, ink[3]))
        box = self.paste(image)
        self.lines.append(PlacedText(nfc(number), size, True, box))

    def rule(self, thickness: float = 2) -> None:
        line = Image.new("1", (self.inner, self.px(thickness)), 0)
        self.paste(line)

    def banner(self, text: str, size: float, *, inverted: bool) -> None:
        """A boxed mark (IN LẠI, MẪU) that cannot be missed: inverted, or framed."""
        font = load_font(self.text_px(size), True)
        glyphs = draw_text(text, font)
        pad = self.px(8)
        frame = Image.new("1", (min(self.inner, glyphs.width + 4 * pad), glyphs.height + pad), 255)
        frame.paste(glyphs, ((frame.width - glyphs.width) // 2, pad // 2))
        if inverted:
            frame = ImageOps.invert(frame.convert("L")).convert("1")
        else:
            draw = ImageDraw.Draw(frame)
            border = self.px(3)
            draw.rectangle((0, 0, frame.width - 1, frame.height - 1), outline=0, width=border)
        box = self.paste(frame)
        self.lines.append(PlacedText(nfc(text), int(font.size), True, box))

    def qr(self, data: str, target: float) -> None:
        modules = qr_modules(data)
        # On 58 mm paper the QR shrinks less than the rest: below ~25 mm phones struggle.
        size = min(self.inner, max(round(target * self.scale), 200))
        box_size = max(2, size // modules)
        self.qr_box = self.paste(qr_image(data, box_size))

    def logo(self, logo: Image.Image, max_height: float) -> None:
        self.paste(_logo_block(logo, self.inner, self.px(max_height)))

    def finish(self) -> RenderedSlip:
        height = self.y + self.px(8)
        image = Image.new("1", (self.width, height), 255)
        for block, x, y in self.blocks:
            image.paste(block, (x, y))
        return RenderedSlip(image, self.lines, self.qr_box)


_logos: dict[tuple[int, int, int], tuple[Image.Image, Image.Image]] = {}


def _logo_block(logo: Image.Image, width: int, height: int) -> Image.Image:
    """The logo scaled into width x height and dithered, once per logo image and size (the
    logo is kept alongside, so its id cannot be reused while it is cached)."""
    key = (id(logo), width, height)
    known = _logos.get(key)
    if known is not None and known[0] is logo:
        return known[1]
    image = logo.convert("L")
    scale = min(width / image.width, height / image.height, 1.0)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # A logo is a picture, so it is the one place where dithering is right.
    block = image.resize(size, Image.Resampling.LANCZOS).convert("1")
    if len(_logos) >= 8:
        _logos.clear()
    _logos[key] = (logo, block)
    return block


def _check_width(width_dots: int) -> None:
    if width_dots < 256 or width_dots % 8:
        raise ValueError(f"width_dots must be a multiple of 8, at least 256 (got {width_dots})")


def format_ticket_time(moment: datetime) -> str:
    """Format the issue time as HH:MM:SS dd/mm/yyyy (office local time)."""
    return moment.strftime("%H:%M:%S %d/%m/%Y")


def format_receipt_time(moment: datetime) -> str:
    """Format a time the Mẫu 01 way: 'HH giờ mm phút, ngày dd/mm/yyyy'."""
    return moment.strftime("%H giờ %M phút, ngày %d/%m/%Y")


def _marks(canvas: _Canvas, reprint: bool, sample: bool) -> None:
    if reprint:
        canvas.banner(REPRINT_MARK, 32, inverted=True)
        canvas.space(8)
    if sample:
        canvas.banner(SAMPLE_MARK, 26, inverted=False)
        canvas.space(8)


def _header(
    width_dots: int,
    office_name: str,
    parent_authority: str,
    reprint: bool,
    sample: bool,
    logo: Image.Image | None,
) -> _Canvas:
    """The top every slip shares: marks, optional logo, parent authority, office, a rule."""
    _check_width(width_dots)
    c = _Canvas(width_dots)
    c.space(4)
    _marks(c, reprint, sample)
    if logo is not None:
        c.logo(logo, 96)
        c.space(6)
    if parent_authority:
        c.text(parent_authority, 24)
    c.text(office_name, 26, bold=True)
    c.space(4)
    c.rule()
    c.space(10)
    return c


def layout_ticket(
    slip: TicketSlip, width_dots: int = WIDTH_80MM, *, logo: Image.Image | None = None
) -> RenderedSlip:
    """Lay out a queue ticket: office, title, big number, field, people ahead, time, QR, footer."""
    c = _header(
        width_dots, slip.office_name, slip.parent_authority, slip.reprint, slip.sample, logo
    )
    c.text(TICKET_TITLE, 38, bold=True)
    c.space(6)
    c.big_number(slip.number, 180)
    c.space(18)
    if slip.priority:
        # Inverted and large: the citizen and the officer see at once it is a priority ticket.
        c.banner(PRIORITY_MARK, 40, inverted=True)
        c.space(12)
    c.text(f"Lĩnh vực: {slip.field_name}", 30, bold=True)
    c.text(f"Số người chờ trước: {slip.ahead}", 28)
    c.text(f"Thời gian: {format_ticket_time(slip.issued_at_local)}", 26)
    c.text(session_line(slip), 26)
    c.space(8)
    c.qr(slip.qr_url, 264)
    c.text(TICKET_QR_CAPTION, 24)
    c.space(6)
    c.rule(1)
    c.space(8)
    c.text(slip.footer, 24)
    if slip.sample:
        c.space(4)
        c.banner(SAMPLE_MARK, 26, inverted=False)
    return c.finish()


def layout_receipt(
    slip: ReceiptSlip, width_dots: int = WIDTH_80MM, *, logo: Image.Image | None = None
) -> RenderedSlip:
    """Lay out the 80 mm Mẫu 01 slip: code, procedure, masked applicant, dates, place, lookup."""
    c = _header(
        width_dots, slip.office_name, slip.parent_authority, slip.reprint, slip.sample, logo
    )
    c.text(RECEIPT_TITLE, 30, bold=True)
    c.space(10)
    c.text(f"Mã hồ sơ: {slip.dossier_code}", 26, bold=True, align="left")
    c.text(f"Thủ tục: {slip.procedure_name}", 24, align="left")
    if slip.applicant_masked:
        c.text(f"Người nộp: {slip.applicant_masked}", 24, align="left")
    c.text(f"Nhận hồ sơ lúc: {format_receipt_time(slip.received_at_local)}", 24, align="left")
    c.text("Ngày hẹn trả:", 24, align="left")
    c.text(format_receipt_time(slip.due_at_local), 26, bold=True, align="left")
    c.text(f"Nơi nhận kết quả: {slip.collect_place}", 24, align="left")
    if slip.lookup_pin:
        c.text(f"Mã tra cứu: {slip.lookup_pin}", 28, bold=True, align="left")
    c.space(8)
    c.qr(slip.qr_url, 240)
    c.text(RECEIPT_QR_CAPTION, 24)
    c.space(6)
    c.rule(1)
    c.space(8)
    c.text(RECEIPT_NOTE, 24)
    if slip.sample:
        c.space(4)
        c.banner(SAMPLE_MARK, 26, inverted=False)
    return c.finish()


def render_ticket(
    slip: TicketSlip, width_dots: int = WIDTH_80MM, *, logo: Image.Image | None = None
) -> Image.Image:
    """Render a queue ticket as a mode "1" image width_dots wide."""
    return layout_ticket(slip, width_dots, logo=logo).image


def render_receipt(
    slip: ReceiptSlip, width_dots: int = WIDTH_80MM, *, logo: Image.Image | None = None
) -> Image.Image:
    """Render a receipt slip as a mode "1" image width_dots wide."""
    return layout_receipt(slip, width_dots, logo=logo).image
