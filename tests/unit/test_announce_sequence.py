"""The clips the board plays for a call, in order: numbers, letters and counters (DOMAIN §9)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.speech import LETTER_NAMES, call_announcement, clip_sequence

PACK = Path(__file__).resolve().parents[2] / "display" / "static" / "voice" / "vi"
V = "/voice/vi/"
CHIME, PAUSE = V + "chime", V + "pause"
PHRASE, TO_COUNTER = V + "xin_moi_cong_dan_co_so_thu_tu", V + "den_quay_so"


def _app(tmp: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Any:
    from lobby import create_app
    from tests.publishers import RecordingPublisher

    monkeypatch.setenv("LOBBY_INSTANCE_PATH", str(tmp))
    overrides = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'lobby.sqlite3'}",
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "RATELIMIT_ENABLED": False,
        **extra,
    }
    return create_app(overrides, publisher=RecordingPublisher())


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    application = _app(tmp_path, monkeypatch)
    with application.app_context():
        yield application


def _payload(number: str, counter: int) -> dict[str, Any]:
    from lobby.announce import announcement_payload

    return announcement_payload(number, counter)


def _twice(ticket: str, counter: str) -> list[str]:
    """Chime, the call, a pause, the call again: how every announcement is built."""
    once = [PHRASE, *(V + c for c in ticket.split()), TO_COUNTER, *(V + c for c in counter.split())]
    return [CHIME, *once, PAUSE, *once]


def test_a025_at_counter_3_is_chime_then_the_call_twice_with_a_pause(app: Any) -> None:
    payload = _payload("A025", 3)
    assert payload["audio"] == [
        CHIME,
        PHRASE,
        V + "a",
        V + "hai",
        V + "muwowi",
        V + "lawm",
        TO_COUNTER,
        V + "ba",
        PAUSE,
        PHRASE,
        V + "a",
        V + "hai",
        V + "muwowi",
        V + "lawm",
        TO_COUNTER,
        V + "ba",
    ]
    assert payload["text"] == "Xin mời công dân có số thứ tự A025, đến quầy số 3."


# Written out by hand from DOMAIN §9 (number reading) and docs/voice.md (clip names).
CASES = [
    ("A001", 1, "a mootj", "mootj"),
    ("A-010", 2, "a muwowif", "hai"),
    ("B011", 4, "bee muwowif mootj", "boons"),
    ("B015", 5, "bee muwowif lawm", "nawm"),
    ("C021", 10, "xee hai muwowi moots", "muwowif"),
    ("D104", 11, "dee mootj trawm linh boons", "muwowif mootj"),
    ("E105", 15, "e mootj trawm linh nawm", "muwowif lawm"),
    ("G110", 21, "giee mootj trawm muwowif", "hai muwowi moots"),
    ("H999", 25, "hats chins trawm chins muwowi chins", "hai muwowi lawm"),
    ("K100", 30, "ca mootj trawm", "ba muwowi"),
    ("K1005", 7, "ca mootj nghinf khoong trawm linh nawm", "bayr"),
]


@pytest.mark.parametrize(("number", "counter", "ticket_clips", "counter_clips"), CASES)
def test_numbers_letters_and_counters_become_the_right_clips(
    app: Any, number: str, counter: int, ticket_clips: str, counter_clips: str
) -> None:
    assert _payload(number, counter)["audio"] == _twice(ticket_clips, counter_clips)


def test_southern_settings_say_le_and_ngan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, monkeypatch, LOBBY_SPEECH={"southern": True, "thousand": "ngàn"})
    with app.app_context():
        audio = _payload("A1005", 1)["audio"]
    assert audio == _twice("a mootj nganf khoong trawm ler nawm", "mootj")


def test_digit_mode_reads_each_digit_without_mot_or_lam(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path, monkeypatch, LOBBY_SPEECH={"mode": "digits"})
    with app.app_context():
        audio = _payload("A025", 21)["audio"]
    # The counter is still read by value: 21 -> hai mươi mốt.
    assert audio == _twice("a khoong hai nawm", "hai muwowi moots")


def test_the_payload_matches_the_core_clip_sequence(app: Any) -> None:
    expected = clip_sequence(call_announcement("C042", 2), repeat=2)
    assert _payload("C042", 2)["audio"] == [V + clip for clip in expected]


def _pack_clips() -> dict[str, str]:
    return dict(json.loads((PACK / "manifest.json").read_text("utf-8"))["clips"])


# Prefix letters an office may choose (DOMAIN §9 advises against F, J, W, Z, but they still play).
LETTERS = sorted(LETTER_NAMES)


@settings(max_examples=300, deadline=None)
@given(
    letters=st.lists(st.sampled_from(LETTERS), min_size=0, max_size=2).map("".join),
    seq=st.integers(min_value=0, max_value=9999),
    counter=st.integers(min_value=1, max_value=99),
)
def test_every_clip_of_any_call_is_a_file_in_the_default_pack(
    letters: str, seq: int, counter: int
) -> None:
    clips = _pack_clips()
    number = f"{letters}{seq:03d}"
    sequence = clip_sequence(call_announcement(number, counter), repeat=2)
    assert sequence[0] == "chime"
    half = (len(sequence) - 2) // 2
    assert sequence[1 + half] == "pause" and sequence[1 : 1 + half] == sequence[2 + half :]
    for clip in sequence:
        assert clip in clips, f"{clip} of {number} at counter {counter} is not in the pack"
        assert (PACK / clips[clip]).is_file()


def test_the_voice_route_serves_every_clip_of_a_call(app: Any) -> None:
    client = app.test_client()
    for url in dict.fromkeys(_payload("Đ207", 14)["audio"] + _payload("Y1234", 9)["audio"]):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data[:4] == b"OggS", url
