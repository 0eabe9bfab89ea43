"""Slip layout: Vietnamese text drawn right, wrapped inside the paper, QR readable."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont, ImageOps

from printers.fonts import font_path, web_font_path
from printers.layout import (
    INK_THRESHOLD,
    PRIORITY_MARK,
    RECEIPT_TITLE,
    REPRINT_MARK,
    SAMPLE_MARK,
    TICKET_TITLE,
    PlacedText,
    RenderedSlip,
    layout_receipt,
    layout_ticket,
    load_font,
    qr_modules,
    render_ticket,
    wrap_text,
)
from printers.sample import sample_receipt_slip, sample_ticket_slip
from printers.slips import ReceiptSlip, TicketSlip

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 7, 1, 8, 15, 42, tzinfo=TZ)
LONG_FIELD = "Chính sách – Xã hội, bảo trợ xã hội và người có công với cách mạng"
TICKET_URL = "https://thanhloi.example.vn/t/Zk3pQ8wXr2Ls9Tb7Vn4Mc1"
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | {"đ"}
)
VIETNAMESE_LETTERS += [letter.upper() for letter in VIETNAMESE_LETTERS]


def ticket(**changes: object) -> TicketSlip:
    slip = TicketSlip(
        office_name="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        parent_authority="UBND XÃ THẠNH LỢI",
        field_name="Hộ tịch",
        number="A025",
        ahead=3,
        issued_at_local=NOW,
        session_label="Sáng",
        qr_url=TICKET_URL,
    )
    return dataclasses.replace(slip, **changes)  # type: ignore[arg-type]


def reference_line(text: str, size: int, bold: bool) -> Image.Image:
    """Draw text with the bundled font straight through Pillow, the way a reader would expect."""
    font = ImageFont.truetype(str(font_path(bold)), size, layout_engine=ImageFont.Layout.BASIC)
    canvas = Image.new("L", (int(font.getlength(text)) + 4 * size, 3 * size), 255)
    ImageDraw.Draw(canvas).text((size, 2 * size), text, font=font, fill=0, anchor="ls")
    return canvas.point(lambda v: 255 if v >= INK_THRESHOLD else 0, mode="1")


def ink(image: Image.Image) -> Image.Image:
    """Crop an image to its printed dots."""
    box = ImageOps.invert(image.convert("L")).getbbox()
    assert box is not None, "nothing printed"
    return image.crop(box)


def same_ink(a: Image.Image, b: Image.Image) -> bool:
    a, b = ink(a), ink(b)
    return a.size == b.size and a.tobytes() == b.tobytes()


def crop(rendered: RenderedSlip, line: PlacedText) -> Image.Image:
    return rendered.image.crop(line.box)


def without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def field_lines(rendered: RenderedSlip) -> list[PlacedText]:
    """The lines from 'Lĩnh vực' up to the next item."""
    start = next(i for i, line in enumerate(rendered.lines) if line.text.startswith("Lĩnh vực"))
    end = next(i for i, line in enumerate(rendered.lines) if line.text.startswith("Số người"))
    return rendered.lines[start:end]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("width", [576, 384])
def test_a_long_field_name_wraps_inside_the_paper_and_keeps_every_diacritic(width: int) -> None:
    rendered = layout_ticket(ticket(field_name=LONG_FIELD), width)
    lines = field_lines(rendered)

    assert len(lines) >= 2
    assert " ".join(line.text for line in lines) == f"Lĩnh vực: {LONG_FIELD}"
    for line in lines:
        left, _, right, _ = line.box
        assert left >= 0 and right <= width
        drawn = crop(rendered, line)
        assert same_ink(drawn, reference_line(line.text, line.size, line.bold)), line.text


def test_the_diacritic_comparison_tells_a_line_without_marks_apart() -> None:
    rendered = layout_ticket(ticket(field_name=LONG_FIELD))
    for line in field_lines(rendered):
        plain = without_marks(line.text)
        assert plain != line.text
        assert not same_ink(crop(rendered, line), reference_line(plain, line.size, line.bold))


def test_text_given_decomposed_prints_exactly_like_precomposed() -> None:
    nfd = unicodedata.normalize("NFD", LONG_FIELD)
    assert nfd != LONG_FIELD
    a = render_ticket(ticket(field_name=nfd))
    b = render_ticket(ticket(field_name=LONG_FIELD))
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("width", [576, 384])
def test_the_ticket_qr_decodes_to_the_ticket_url(width: int) -> None:
    image = render_ticket(ticket(field_name=LONG_FIELD), width)
    assert image.mode == "1" and image.width == width
    assert decode(image) == [TICKET_URL]


@pytest.mark.parametrize("width", [576, 384])
def test_every_qr_module_is_a_whole_number_of_dots(width: int) -> None:
    rendered = layout_ticket(ticket(), width)
    assert rendered.qr_box is not None
    left, top, right, bottom = rendered.qr_box
    modules = qr_modules(TICKET_URL)
    assert (right - left) == (bottom - top)
    assert (right - left) % modules == 0
    assert (right - left) // modules >= 2
    # Sharp: every module is one flat colour, so shrinking by the module size loses nothing.
    qr = rendered.image.crop(rendered.qr_box)
    box = qr.width // modules
    small = qr.resize((modules, modules), Image.Resampling.NEAREST)
    assert small.resize(qr.size, Image.Resampling.NEAREST).tobytes() == qr.tobytes()
    assert box * modules == qr.width


def test_the_ticket_shows_what_domain_section_9_lists_in_order() -> None:
    rendered = layout_ticket(ticket(ahead=12, session_label="Chiều"))
    texts = [line.text for line in rendered.lines]
    expected = [
        "UBND XÃ THẠNH LỢI",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        TICKET_TITLE,
        "A025",
        "Lĩnh vực: Hộ tịch",
        "Số người chờ trước: 12",
        "Thời gian: 08:15:42 01/07/2025",
        "Buổi: Chiều",
        "Quét mã để xem lượt gọi",
        "Vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!",
    ]
    assert texts == expected
    tops = [line.box[1] for line in rendered.lines]
    assert tops == sorted(tops)
    assert rendered.qr_box is not None
    assert rendered.lines[7].box[3] <= rendered.qr_box[1] <= rendered.lines[8].box[1]


def test_the_number_is_the_biggest_thing_on_the_ticket_and_fits_the_paper() -> None:
    for width in (576, 384):
        rendered = layout_ticket(ticket(number="D-1250"), width)
        number = next(rendered.find("D-1250"))
        assert number.size == max(line.size for line in rendered.lines)
        assert number.box[0] >= 0 and number.box[2] <= width


def test_a_reprint_and_a_sample_are_marked_on_paper() -> None:
    plain = [line.text for line in layout_ticket(ticket()).lines]
    assert REPRINT_MARK not in plain and SAMPLE_MARK not in plain

    reprint = [line.text for line in layout_ticket(ticket(reprint=True)).lines]
    assert reprint[0] == REPRINT_MARK and SAMPLE_MARK not in reprint

    sample = [line.text for line in layout_ticket(sample_ticket_slip(NOW)).lines]
    assert sample[0] == SAMPLE_MARK and sample[-1] == SAMPLE_MARK


def test_a_priority_ticket_is_marked_uu_tien_under_its_number_and_never_says_which_group() -> None:
    plain = [line.text for line in layout_ticket(ticket()).lines]
    assert PRIORITY_MARK == "ƯU TIÊN" and PRIORITY_MARK not in plain
    for width in (576, 384):
        rendered = layout_ticket(ticket(priority=True), width)
        texts = [line.text for line in rendered.lines]
        assert texts.index(PRIORITY_MARK) == texts.index("A025") + 1
        mark = next(rendered.find(PRIORITY_MARK))
        assert mark.box[0] >= 0 and mark.box[2] <= width
        # Inverted: mostly ink, so it cannot be missed on the counter's desk.
        band = rendered.image.crop(mark.box).convert("L")
        assert band.histogram()[0] > band.width * band.height / 2
        assert not any(w in " ".join(texts) for w in ("cao tuổi", "khuyết tật", "mang thai"))


def test_a_ticket_has_no_field_for_personal_data() -> None:
    names = {f.name for f in dataclasses.fields(TicketSlip)}
    assert names == {
        "office_name",
        "parent_authority",
        "field_name",
        "number",
        "ahead",
        "issued_at_local",
        "session_label",
        "qr_url",
        "footer",
        "reprint",
        "sample",
        "priority",
    }


def test_slips_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket(issued_at_local=datetime(2025, 7, 1, 8, 0))


def test_the_receipt_shows_the_mau_01_items_and_its_qr_decodes() -> None:
    slip = sample_receipt_slip(NOW)
    rendered = layout_receipt(slip)
    text = " ".join(line.text for line in rendered.lines)
    assert " ".join(RECEIPT_TITLE.split()) in text
    assert f"Mã hồ sơ: {slip.dossier_code}" in text
    assert "Nhận hồ sơ lúc: 08 giờ 15 phút, ngày 01/07/2025" in text
    assert "Ngày hẹn trả: 16 giờ 00 phút, ngày 08/07/2025" in text
    assert "Người nộp: N*** V*** A" in text
    assert "Mã tra cứu: 4831" in text
    assert "Nơi nhận kết quả: Quầy số 1" in text
    assert "Khi đến nhận kết quả, vui lòng mang theo giấy này" in text
    assert decode(rendered.image) == [slip.qr_url]


def test_a_receipt_without_pin_or_name_prints_neither_line() -> None:
    slip = dataclasses.replace(sample_receipt_slip(NOW), lookup_pin=None, applicant_masked="")
    text = " ".join(line.text for line in layout_receipt(slip).lines)
    assert "Mã tra cứu" not in text and "Người nộp" not in text


def test_a_receipt_has_only_the_masked_name_of_the_applicant() -> None:
    names = {f.name for f in dataclasses.fields(ReceiptSlip)}
    assert "applicant_masked" in names
    assert not names & {"applicant_name", "id_number", "phone", "address", "email"}


def test_a_width_that_is_not_a_paper_width_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        render_ticket(ticket(), 500)


@pytest.mark.parametrize("bold", [False, True])
def test_every_vietnamese_letter_has_a_glyph_in_the_print_and_web_fonts(bold: bool) -> None:
    # The WOFF fallback is the same subset as the WOFF2 (one build); reading WOFF2 needs brotli.
    for path in (font_path(bold), web_font_path(bold, "woff")):
        cmap = TTFont(path).getBestCmap()
        missing = [c for c in VIETNAMESE_LETTERS + list("–“”…₫") if ord(c) not in cmap]
        assert missing == [], f"{path.name} lacks {missing}"


WORDS = st.sampled_from(
    ["Lĩnh", "vực", "Chính", "sách", "–", "bảo", "trợ", "xã", "hội", "người", "có", "công",
     "với", "cách", "mạng", "Đất", "đai", "Xây", "dựng", "Hộ", "kinh", "doanh", "ưu", "tiên"]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=30), width=st.integers(120, 560))
def test_wrapping_keeps_every_word_in_order_and_no_line_is_wider_than_asked(
    words: list[str], width: int
) -> None:
    font = load_font(26)
    text = " ".join(words)
    lines = wrap_text(text, font, width)
    assert " ".join(lines) == text
    assert all(font.getlength(line) <= width for line in lines)


@settings(max_examples=40, deadline=None)
@given(code=st.text(alphabet="0123456789.-ABCH", min_size=1, max_size=80))
def test_a_word_wider_than_the_paper_is_split_not_lost(code: str) -> None:
    font = load_font(26, bold=True)
    lines = wrap_text(code, font, 150)
    assert "".join(lines) == code
    assert all(font.getlength(line) <= 150 for line in lines)
