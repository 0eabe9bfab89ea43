"""ESC/POS bytes: the slip goes out as a raster image followed by a cut; TCVN-3 text mode."""

from __future__ import annotations

import dataclasses
import itertools
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from escpos.capabilities import CAPABILITIES
from hypothesis import given
from hypothesis import strategies as st

from printers.escpos_out import (
    INIT,
    TCVN3_LOWER_PAGE,
    TCVN3_UPPER_PAGE,
    encode_tcvn3,
    slip_bytes,
    slip_bytes_escpos,
    ticket_text_bytes,
)
from printers.layout import render_receipt, render_ticket
from printers.sample import sample_receipt_slip, sample_ticket_slip
from tests.printer_loopback import cut_follows_raster, parse_raster, raster_blocks, stitch

NOW = datetime(2025, 7, 1, 14, 5, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
CUT = b"\x1dV"
VIETNAMESE = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"


def test_slip_bytes_hold_the_raster_then_the_cut_in_order() -> None:
    image = render_ticket(sample_ticket_slip(NOW))
    data = slip_bytes(image)

    assert data.startswith(INIT)
    blocks = raster_blocks(data)
    assert blocks, "no GS v 0 raster in the output"
    assert all(a.end <= b.start for a, b in itertools.pairwise(blocks))
    cut_at = data.rindex(CUT)
    assert cut_at > blocks[-1].end
    assert cut_follows_raster(data)
    assert stitch(parse_raster(data)).tobytes() == image.tobytes()


def test_a_tall_slip_is_sent_in_fragments_that_add_up_to_the_slip() -> None:
    image = render_receipt(sample_receipt_slip(NOW))
    data = slip_bytes(image, fragment_height=256)
    images = parse_raster(data)
    assert len(images) == -(-image.height // 256)
    assert stitch(images).tobytes() == image.tobytes()


@pytest.mark.parametrize("profile", [None, "TM-T20II", "TM-P80"])
def test_the_fast_encoder_writes_exactly_what_python_escpos_writes(profile: str | None) -> None:
    slips = [render_ticket(sample_ticket_slip(NOW)), render_receipt(sample_receipt_slip(NOW), 384)]
    for image, cut, fragment in itertools.product(slips, (True, False), (960, 256, 100)):
        fast = slip_bytes(image, cut=cut, profile=profile, fragment_height=fragment)
        assert fast == slip_bytes_escpos(image, cut=cut, profile=profile, fragment_height=fragment)


def test_without_cut_there_is_no_cut_command() -> None:
    data = slip_bytes(render_ticket(sample_ticket_slip(NOW)), cut=False)
    assert parse_raster(data)
    assert not cut_follows_raster(data)


def test_the_qr_still_decodes_after_the_round_trip_through_escpos() -> None:
    slip = sample_ticket_slip(NOW)
    back = stitch(parse_raster(slip_bytes(render_ticket(slip, 384))))
    assert [r.text for r in zxingcpp.read_barcodes(back.convert("L"))] == [slip.qr_url]


def decode_tcvn3(data: bytes) -> str:
    """Read TCVN-3 bytes back with python-escpos' own code page tables."""
    tables = {
        TCVN3_LOWER_PAGE: "".join(CAPABILITIES["encodings"]["TCVN-3-1"]["data"]),
        TCVN3_UPPER_PAGE: "".join(CAPABILITIES["encodings"]["TCVN-3-2"]["data"]),
    }
    page, out, i = 0, [], 0
    while i < len(data):
        if data[i : i + 2] == b"\x1bt":
            page, i = data[i + 2], i + 3
            continue
        byte = data[i]
        out.append(chr(byte) if byte < 0x80 else tables[page][byte - 0x80])
        i += 1
    return "".join(out).replace("Ð", "Đ")


@pytest.mark.parametrize("letter", list(VIETNAMESE + VIETNAMESE.upper()))
def test_tcvn3_encodes_every_vietnamese_letter(letter: str) -> None:
    data, _ = encode_tcvn3(letter)
    assert b"?" not in data
    assert decode_tcvn3(data) == letter


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ,.:0123456789"))
def test_tcvn3_text_reads_back_the_same(text: str) -> None:
    data, _ = encode_tcvn3(text)
    assert decode_tcvn3(data) == unicodedata.normalize("NFC", text)


def test_tcvn3_switches_code_page_only_when_the_letters_need_it() -> None:
    data, page = encode_tcvn3("Lĩnh vực: Hộ tịch")
    assert data.count(b"\x1bt") == 1 and page == TCVN3_LOWER_PAGE
    again, _ = encode_tcvn3("Sáng", page=page)
    assert b"\x1bt" not in again


def test_text_mode_ticket_is_tcvn3_text_with_a_raster_qr_then_a_cut() -> None:
    slip = dataclasses.replace(sample_ticket_slip(NOW), reprint=True)
    data = ticket_text_bytes(slip)
    blocks = raster_blocks(data)
    assert len(blocks) == 1
    text = decode_tcvn3(data[: blocks[0].start])
    for expected in ("IN LẠI", "PHIẾU SỐ THỨ TỰ", "A025", "Lĩnh vực: Hộ tịch", "Buổi: Chiều"):
        assert expected in text
    qr = blocks[0].image
    assert [r.text for r in zxingcpp.read_barcodes(qr.convert("L"))] == [slip.qr_url]
    assert cut_follows_raster(data)
