"""Vietnamese number reading, spoken calls, clip sequences and the default voice pack."""

import json
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.speech import (
    CALL_TEMPLATES,
    DEFAULT_CALL_TEMPLATE,
    LETTER_NAMES,
    MAX_COUNTER,
    Announcement,
    all_clip_names,
    call_announcement,
    clip_name,
    clip_sequence,
    clip_vocabulary,
    read_number,
    read_ticket,
)

PACK = Path(__file__).resolve().parents[2] / "display" / "static" / "voice" / "vi"

# Written out by hand from DOMAIN §9, not generated.
NUMBER_CASES = {
    0: "không",
    1: "một",
    5: "năm",
    7: "bảy",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi bốn",
    25: "hai mươi lăm",
    30: "ba mươi",
    41: "bốn mươi mốt",
    55: "năm mươi lăm",
    99: "chín mươi chín",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    120: "một trăm hai mươi",
    121: "một trăm hai mươi mốt",
    125: "một trăm hai mươi lăm",
    200: "hai trăm",
    999: "chín trăm chín mươi chín",
    1000: "một nghìn",
    1001: "một nghìn không trăm linh một",
    1005: "một nghìn không trăm linh năm",
    1010: "một nghìn không trăm mười",
    1015: "một nghìn không trăm mười lăm",
    1021: "một nghìn không trăm hai mươi mốt",
    1100: "một nghìn một trăm",
    1205: "một nghìn hai trăm linh năm",
    2024: "hai nghìn không trăm hai mươi bốn",
    5000: "năm nghìn",
    9999: "chín nghìn chín trăm chín mươi chín",
    10000: "mười nghìn",
    15015: "mười lăm nghìn không trăm mười lăm",
    21000: "hai mươi mốt nghìn",
    105000: "một trăm linh năm nghìn",
    100001: "một trăm nghìn không trăm linh một",
    999999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
}


@pytest.mark.parametrize(("n", "spoken"), NUMBER_CASES.items())
def test_numbers_are_read_the_northern_way_by_default(n, spoken):
    assert read_number(n) == spoken.split()


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (101, "một trăm lẻ một"),
        (105, "một trăm lẻ năm"),
        (1001, "một ngàn không trăm lẻ một"),
        (2024, "hai ngàn không trăm hai mươi bốn"),
        (15, "mười lăm"),
    ],
)
def test_southern_reading_says_le_for_a_zero_ten_and_ngan_for_thousand(n, spoken):
    assert read_number(n, southern=True, thousand="ngàn") == spoken.split()


def test_linh_and_thousand_word_are_independent_settings():
    assert read_number(1005, southern=True) == ["một", "nghìn", "không", "trăm", "lẻ", "năm"]
    assert read_number(1005, thousand="ngàn") == ["một", "ngàn", "không", "trăm", "linh", "năm"]


def test_four_after_muoi_becomes_tu_only_when_asked():
    assert read_number(24, tu_after_muoi=True) == ["hai", "mươi", "tư"]
    assert read_number(2024, tu_after_muoi=True)[-1] == "tư"
    # Only after mươi: mười bốn and linh bốn keep bốn.
    assert read_number(14, tu_after_muoi=True) == ["mười", "bốn"]
    assert read_number(104, tu_after_muoi=True) == ["một", "trăm", "linh", "bốn"]


@pytest.mark.parametrize("bad", [-1, 1_000_000])
def test_numbers_outside_zero_to_999999_are_refused(bad):
    with pytest.raises(ValueError):
        read_number(bad)


def test_a_number_must_be_a_real_int_and_thousand_a_known_word():
    with pytest.raises(TypeError):
        read_number(True)
    with pytest.raises(TypeError):
        read_number("12")
    with pytest.raises(ValueError):
        read_number(1000, thousand="ngan")


@pytest.mark.parametrize(
    ("ticket", "spoken"),
    [
        ("A025", "a hai mươi lăm"),
        ("A-025", "a hai mươi lăm"),
        ("a025", "a hai mươi lăm"),
        (" B001 ", "bê một"),
        ("C021", "xê hai mươi mốt"),
        ("K100", "ca một trăm"),
        ("H105", "hát một trăm linh năm"),
        ("D000", "dê không"),
        ("L012", "e lờ mười hai"),
        ("Đ015", "đê mười lăm"),
        ("AB007", "a bê bảy"),
        ("025", "hai mươi lăm"),
    ],
)
def test_tickets_are_read_by_letter_name_then_value_without_leading_zeros(ticket, spoken):
    assert read_ticket(ticket) == spoken.split()


def test_ticket_value_follows_the_southern_setting():
    assert read_ticket("A105", southern=True) == ["a", "một", "trăm", "lẻ", "năm"]


@pytest.mark.parametrize(
    ("ticket", "spoken"),
    [
        ("A025", "a không hai năm"),
        ("A-015", "a không một năm"),
        ("B021", "bê không hai một"),
        ("E100", "e một không không"),
    ],
)
def test_digit_mode_names_each_digit_without_mot_or_lam(ticket, spoken):
    assert read_ticket(ticket, mode="digits") == spoken.split()


def test_vietnamese_letter_names_are_used():
    expected = {
        "A": "a",
        "B": "bê",
        "C": "xê",
        "D": "dê",
        "Đ": "đê",
        "E": "e",
        "G": "giê",
        "H": "hát",
        "K": "ca",
        "L": "e lờ",
        "M": "em mờ",
        "N": "en nờ",
        "S": "ét xì",
        "X": "ích xì",
        "Y": "i dài",
    }
    for letter, name in expected.items():
        assert LETTER_NAMES[letter] == name
    # The foreign letters still get a name, in case an office uses them as a prefix.
    assert {"F", "J", "W", "Z"} <= LETTER_NAMES.keys()


@pytest.mark.parametrize("bad", ["A", "", "A-", "1A", "Ñ001", "A02B"])
def test_malformed_tickets_are_refused(bad):
    with pytest.raises(ValueError):
        read_ticket(bad)


def test_an_unknown_reading_mode_is_refused():
    with pytest.raises(ValueError):
        read_ticket("A025", mode="letters")


def test_the_default_call_shows_the_printed_number_and_speaks_its_value():
    call = call_announcement("A025", 3)
    assert call.text == "Xin mời công dân có số thứ tự A025, đến quầy số 3."
    assert call.words == (
        *("xin", "mời", "công", "dân", "có", "số", "thứ", "tự"),
        *("a", "hai", "mươi", "lăm"),
        *("đến", "quầy", "số", "ba"),
    )
    assert call_announcement("A025", 3, template=DEFAULT_CALL_TEMPLATE) == call


def test_counters_are_read_as_numbers():
    assert call_announcement("A001", 1).words[-3:] == ("quầy", "số", "một")
    assert call_announcement("A001", 21).words[-4:] == ("số", "hai", "mươi", "mốt")
    leading_zero = call_announcement("A001", "01")
    assert leading_zero.text.endswith("đến quầy số 01.")
    assert leading_zero.words[-1] == "một"


def test_call_options_reach_the_ticket_reading():
    call = call_announcement("A-105", 2, mode="digits", southern=True)
    assert call.text == "Xin mời công dân có số thứ tự A-105, đến quầy số 2."
    assert call.words[8:12] == ("a", "một", "không", "năm")
    southern = call_announcement("A105", 2, southern=True)
    assert southern.words[8:13] == ("a", "một", "trăm", "lẻ", "năm")


def test_a_template_variant_and_accented_field_names_work():
    call = call_announcement(
        "B007", 4, template="Xin mời số thứ tự {số} đến quầy số {quầy} để nộp hồ sơ."
    )
    assert call.text == "Xin mời số thứ tự B007 đến quầy số 4 để nộp hồ sơ."
    assert call.words == (
        *("xin", "mời", "số", "thứ", "tự", "bê", "bảy"),
        *("đến", "quầy", "số", "bốn", "để", "nộp", "hồ", "sơ"),
    )


def test_a_template_with_an_unknown_field_is_refused():
    with pytest.raises(ValueError):
        call_announcement("A025", 3, template="Mời {ten} đến quầy {quay}")


def test_a_call_plays_chime_then_the_call_twice_with_a_pause_between():
    call = call_announcement("A025", 3)
    once = ["xin_moi_cong_dan_co_so_thu_tu", "a", "hai", "muwowi", "lawm", "den_quay_so", "ba"]
    sequence = clip_sequence(call)
    assert sequence == ["chime", *once, "pause", *once]
    # One flat list of names: a single queue, so the two readings cannot overlap.
    assert all(isinstance(name, str) for name in sequence)
    assert sequence.count("chime") == 1


def test_repeat_sets_how_many_times_the_call_is_said():
    call = call_announcement("K010", 12)
    three = clip_sequence(call, repeat=3)
    assert three[0] == "chime"
    assert three.count("pause") == 2
    assert three.count("den_quay_so") == 3
    assert clip_sequence(call, repeat=1).count("pause") == 0
    with pytest.raises(ValueError):
        clip_sequence(call, repeat=0)


def test_without_phrase_clips_every_word_has_its_own_clip():
    call = Announcement(text="", words=("xin", "mời", "đến", "quầy", "số", "mười", "lăm"))
    assert clip_sequence(call, repeat=1, phrases={}) == [
        *("chime", "xin", "mowif", "ddeens", "quaayf", "soos", "muwowif", "lawm"),
    ]


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("mươi", "muwowi"),
        ("mười", "muwowif"),
        ("năm", "nawm"),
        ("lăm", "lawm"),
        ("một", "mootj"),
        ("mốt", "moots"),
        ("nghìn", "nghinf"),
        ("ngàn", "nganf"),
        ("lẻ", "ler"),
        ("đến", "ddeens"),
        ("quầy", "quaayf"),
        ("tư", "tuw"),
        ("tự", "tuwj"),
        ("ngã", "ngax"),
    ],
)
def test_word_clips_are_named_by_telex_spelling(word, name):
    assert clip_name(word) == name


@pytest.mark.parametrize("bad", ["xoong", "bus", "fan", "a b", "", "chime", "mươi!"])
def test_words_without_an_unambiguous_clip_name_are_refused(bad):
    with pytest.raises(ValueError):
        clip_name(bad)


def _spoken_words():
    """Every word the readings can produce, collected by brute force."""
    words = set()
    for n in range(10000):
        for southern in (False, True):
            for thousand in ("nghìn", "ngàn"):
                words.update(read_number(n, southern=southern, thousand=thousand))
        words.update(read_number(n, tu_after_muoi=True))
    for name in LETTER_NAMES.values():
        words.update(name.split())
    return words


def test_no_two_words_share_a_clip_name():
    words = _spoken_words()
    names = {clip_name(word) for word in words}
    assert len(names) == len(words)
    assert all(re.fullmatch(r"[a-z]+", name) for name in names)
    assert not names & {"chime", "pause"}


@given(
    n=st.integers(0, 9999),
    southern=st.booleans(),
    thousand=st.sampled_from(["nghìn", "ngàn"]),
    tu=st.booleans(),
    letter=st.sampled_from(sorted(LETTER_NAMES)),
)
def test_every_spoken_word_has_a_clip_in_the_default_set(n, southern, thousand, tu, letter):
    names = all_clip_names()
    words = read_number(n, southern=southern, thousand=thousand, tu_after_muoi=tu)
    words += read_ticket(f"{letter}{n:03d}", mode="digits")
    assert {clip_name(word) for word in words} <= names


@given(
    letter=st.sampled_from(sorted(LETTER_NAMES)),
    n=st.integers(0, 999),
    counter=st.integers(1, MAX_COUNTER),
    mode=st.sampled_from(["value", "digits"]),
    southern=st.booleans(),
    template=st.sampled_from(CALL_TEMPLATES),
    pack_range=st.sampled_from([9, 99, 999, 9999]),
)
def test_every_call_sequence_uses_only_clips_of_the_default_set(
    letter, n, counter, mode, southern, template, pack_range
):
    # Every counter the admin form allows, with a pack made for any range of ticket numbers.
    call = call_announcement(
        f"{letter}{n % (pack_range + 1):03d}",
        counter,
        template=template,
        mode=mode,
        southern=southern,
    )
    names = all_clip_names(max_number=pack_range)
    assert set(clip_sequence(call)) <= names
    assert set(clip_sequence(call, phrases={})) <= names


def test_the_speech_counter_range_is_what_the_office_setup_allows():
    from lobby.setup.counters import MAX_COUNTER as SETUP_MAX_COUNTER

    assert MAX_COUNTER == SETUP_MAX_COUNTER


def test_a_smaller_range_needs_no_thousand_or_hundred_clips():
    assert {"nghinf", "nganf"} <= all_clip_names()
    assert not {"nghinf", "nganf"} & all_clip_names(max_number=999)
    # Counters up to 999 still need every tens and hundreds word.
    assert {"muwowi", "moots", "lawm", "tuw", "trawm", "linh", "ler"} <= all_clip_names(
        max_number=9
    )


def test_the_vocabulary_says_what_each_clip_speaks():
    vocabulary = clip_vocabulary()
    assert vocabulary["muwowif"] == "mười"
    assert vocabulary["den_quay_so"] == "đến quầy số"
    assert set(vocabulary) == all_clip_names()


def _ogg_opus_seconds(data: bytes) -> float:
    """Play length of an Ogg Opus stream: last granule position less the pre-skip, at 48 kHz."""
    assert data.startswith(b"OggS")
    head = data.index(b"OpusHead")
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    last_page = data.rindex(b"OggS")
    granule = struct.unpack_from("<q", data, last_page + 6)[0]
    return (granule - pre_skip) / 48000


def test_the_default_pack_has_a_playable_file_for_every_clip():
    manifest = json.loads((PACK / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lang"] == "vi"
    assert manifest["format"] == "ogg"
    clips = manifest["clips"]
    assert all_clip_names() <= clips.keys()
    for name in all_clip_names():
        data = (PACK / clips[name]).read_bytes()
        assert _ogg_opus_seconds(data) > 0.1, name
    assert _ogg_opus_seconds((PACK / clips["chime"]).read_bytes()) > 0.8
