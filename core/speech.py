"""Vietnamese spoken calls: number reading, ticket reading, call text and voice-clip sequences.

Clip names: a single word's clip is named by its Telex spelling (see `clip_name`), a few fixed
phrases have their own clip (`PHRASE_CLIPS`), plus "chime" and "pause". docs/voice.md has the
details and how an office replaces the generated voice.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

DIGITS: tuple[str, ...] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
THOUSAND_WORDS: tuple[str, ...] = ("nghìn", "ngàn")
MAX_NUMBER = 999_999
# The highest counter number the office setup allows (lobby.setup.counters.MAX_COUNTER): counters
# 100..999 are read with "trăm" and "linh"/"lẻ" whatever the ticket numbers' range.
MAX_COUNTER = 999

# Vietnamese names of the letters (the usual school names), plus sensible names for the foreign
# letters F J W Z, which a ticket prefix should avoid (DOMAIN §9).
LETTER_NAMES: dict[str, str] = {
    "A": "a",
    "Ă": "á",
    "Â": "ớ",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "Ê": "ê",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e lờ",
    "M": "em mờ",
    "N": "en nờ",
    "O": "o",
    "Ô": "ô",
    "Ơ": "ơ",
    "P": "pê",
    "Q": "quy",
    "R": "e rờ",
    "S": "ét xì",
    "T": "tê",
    "U": "u",
    "Ư": "ư",
    "V": "vê",
    "W": "vê kép",
    "X": "ích xì",
    "Y": "i dài",
    "Z": "dét",
}

DEFAULT_CALL_TEMPLATE = "Xin mời công dân có số thứ tự {so}, đến quầy số {quay}."
# The template variants of DOMAIN §9; the default voice pack covers every word of all of them.
CALL_TEMPLATES: tuple[str, ...] = (
    DEFAULT_CALL_TEMPLATE,
    "Xin mời số thứ tự {so} đến quầy số {quay}.",
    "Xin mời công dân có số thứ tự {so}, đến quầy số {quay} để làm thủ tục.",
    "Xin mời công dân có số thứ tự {so}, đến quầy số {quay} để nộp hồ sơ.",
)
TICKET_FIELDS = frozenset({"so", "số"})
COUNTER_FIELDS = frozenset({"quay", "quầy"})

CHIME = "chime"
PAUSE = "pause"
RESERVED_CLIPS = frozenset({CHIME, PAUSE})

# Phrases recorded as one clip: a whole phrase sounds more natural than joined single words.
PHRASE_CLIPS: dict[tuple[str, ...], str] = {
    ("xin", "mời", "công", "dân", "có", "số", "thứ", "tự"): "xin_moi_cong_dan_co_so_thu_tu",
    ("xin", "mời", "số", "thứ", "tự"): "xin_moi_so_thu_tu",
    ("đến", "quầy", "số"): "den_quay_so",
    ("để", "làm", "thủ", "tục"): "de_lam_thu_tuc",
    ("để", "nộp", "hồ", "sơ"): "de_nop_ho_so",
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _below_thousand(n: int, *, spell_hundreds: bool, southern: bool, tu: bool) -> list[str]:
    """Read 0..999; `spell_hundreds` forces "không trăm"/"linh" after a higher group."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or spell_hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            # After linh/lẻ the digit keeps its plain name: 101 -> một trăm linh một.
            words += ["lẻ" if southern else "linh", DIGITS[units]]
        elif units:
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 4 and tu:
            words.append("tư")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGITS[units])
    return words


def read_number(
    n: int, *, southern: bool = False, thousand: str = "nghìn", tu_after_muoi: bool = False
) -> list[str]:
    """Read 0..999999 as Vietnamese words (mười/mươi, mốt, lăm, linh or lẻ, nghìn or ngàn)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number must be an int, not {type(n).__name__}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number out of range 0..{MAX_NUMBER}: {n}")
    thousand = _nfc(thousand)
    if thousand not in THOUSAND_WORDS:
        raise ValueError(f"thousand must be one of {THOUSAND_WORDS}: {thousand!r}")
    if n == 0:
        return [DIGITS[0]]
    high, low = divmod(n, 1000)
    words: list[str] = []
    if high:
        words += _below_thousand(high, spell_hundreds=False, southern=southern, tu=tu_after_muoi)
        words.append(thousand)
    if low:
        words += _below_thousand(
            low, spell_hundreds=bool(high), southern=southern, tu=tu_after_muoi
        )
    return words


_TICKET_RE = re.compile(r"([^\W\d_]*)[\s.\-–]*(\d+)")


def parse_ticket(number: str) -> tuple[str, str]:
    """Split a ticket number such as "A025" or "A-025" into its letters and digits."""
    match = _TICKET_RE.fullmatch(_nfc(number).strip())
    if match is None:
        raise ValueError(f"not a ticket number: {number!r}")
    letters, digits = match.group(1).upper(), match.group(2)
    unknown = [letter for letter in letters if letter not in LETTER_NAMES]
    if unknown:
        raise ValueError(f"no spoken name for letter(s) {''.join(unknown)!r} in {number!r}")
    return letters, digits


def read_ticket(
    number: str,
    *,
    mode: str = "value",
    southern: bool = False,
    thousand: str = "nghìn",
    tu_after_muoi: bool = False,
) -> list[str]:
    """Read a ticket: letter names, then the value without leading zeros (or each digit)."""
    letters, digits = parse_ticket(number)
    words = [word for letter in letters for word in LETTER_NAMES[letter].split()]
    if mode == "value":
        words += read_number(
            int(digits), southern=southern, thousand=thousand, tu_after_muoi=tu_after_muoi
        )
    elif mode == "digits":
        # Digit mode names each digit plainly: no mốt/lăm/tư.
        words += [DIGITS[int(digit)] for digit in digits]
    else:
        raise ValueError(f"mode must be 'value' or 'digits': {mode!r}")
    return words


@dataclass(frozen=True)
class Announcement:
    """A spoken call: the text shown or logged, and the words spoken in order."""

    text: str
    words: tuple[str, ...]


def _literal_words(
    literal: str, number_words: Callable[[int], list[str]] = read_number
) -> list[str]:
    words: list[str] = []
    for token in re.findall(r"\w+", literal.lower()):
        # Digits written into a template are read as numbers, like the counter.
        words += number_words(int(token)) if token.isdigit() else [token]
    return words


def call_announcement(
    number: str,
    counter: int | str,
    *,
    template: str = DEFAULT_CALL_TEMPLATE,
    mode: str = "value",
    southern: bool = False,
    thousand: str = "nghìn",
    tu_after_muoi: bool = False,
) -> Announcement:
    """Fill the call template: the text shows the number as printed, the words read it aloud."""

    def number_words(n: int) -> list[str]:
        return read_number(n, southern=southern, thousand=thousand, tu_after_muoi=tu_after_muoi)

    shown_number = _nfc(number).strip()
    shown_counter = counter.strip() if isinstance(counter, str) else str(counter)
    counter_value = int(shown_counter)  # "01" -> quầy số một
    text_parts: list[str] = []
    words: list[str] = []
    for literal, field, spec, conversion in string.Formatter().parse(_nfc(template)):
        text_parts.append(literal)
        words += _literal_words(literal, number_words)
        if field is None:
            continue
        if conversion:
            raise ValueError(f"conversions are not allowed in a call template: {template!r}")
        if field in TICKET_FIELDS:
            text_parts.append(format(shown_number, spec or ""))
            words += read_ticket(
                shown_number,
                mode=mode,
                southern=southern,
                thousand=thousand,
                tu_after_muoi=tu_after_muoi,
            )
        elif field in COUNTER_FIELDS:
            text_parts.append(format(shown_counter, spec or ""))
            words += number_words(counter_value)
        else:
            raise ValueError(f"unknown field {{{field}}} in call template: {template!r}")
    return Announcement(text="".join(text_parts), words=tuple(_nfc(word) for word in words))


# Telex spelling: vowel marks are doubled letters or a following "w", đ is "dd", and the tone
# is one letter at the end (sắc s, huyền f, hỏi r, ngã x, nặng j).
_QUALITY_MARKS = {"\u0302": "^", "\u0306": "(", "\u031b": "+"}  # circumflex, breve, horn
_TONE_MARKS = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_TELEX_LETTERS = {
    "â": "aa",
    "ă": "aw",
    "ê": "ee",
    "ô": "oo",
    "ơ": "ow",
    "ư": "uw",
    "đ": "dd",
}
_TELEX_DECODE = {telex: letter for letter, telex in _TELEX_LETTERS.items()}
_PLAIN_LETTERS = frozenset("abcdeghiklmnopqrstuvxy")
_COMPOSED = {("a", "^"): "â", ("a", "("): "ă", ("e", "^"): "ê", ("o", "^"): "ô"}
_COMPOSED |= {("o", "+"): "ơ", ("u", "+"): "ư"}


def _letters_and_tone(word: str) -> tuple[list[str], str]:
    letters: list[str] = []
    tone = ""
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONE_MARKS:
            if tone:
                raise ValueError(f"two tone marks in {word!r}")
            tone = _TONE_MARKS[char]
        elif char in _QUALITY_MARKS:
            key = (letters[-1] if letters else "", _QUALITY_MARKS[char])
            if key not in _COMPOSED:
                raise ValueError(f"unexpected mark in {word!r}")
            letters[-1] = _COMPOSED[key]
        elif char in _PLAIN_LETTERS or char == "đ":
            letters.append(char)
        else:
            raise ValueError(f"not a Vietnamese word: {word!r}")
    if not letters:
        raise ValueError(f"empty word: {word!r}")
    return letters, tone


def _decode_telex(slug: str) -> tuple[list[str], str]:
    tone = ""
    if len(slug) > 1 and slug[-1] in "sfrxj":
        slug, tone = slug[:-1], slug[-1]
    letters: list[str] = []
    i = 0
    while i < len(slug):
        pair = slug[i : i + 2]
        if pair in _TELEX_DECODE:
            letters.append(_TELEX_DECODE[pair])
            i += 2
        else:
            letters.append(slug[i])
            i += 1
    return letters, tone


def clip_name(word: str) -> str:
    """Name a word's clip by its Telex spelling ("mươi" -> "muowi"), refusing ambiguous words."""
    letters, tone = _letters_and_tone(_nfc(word))
    slug = "".join(_TELEX_LETTERS.get(letter, letter) for letter in letters) + tone
    # A slug must decode back to the same word, so two different words never share a clip.
    if _decode_telex(slug) != (letters, tone) or slug in RESERVED_CLIPS:
        raise ValueError(f"no unambiguous clip name for {word!r}")
    return slug


def clip_sequence(
    announcement: Announcement,
    *,
    repeat: int = 2,
    phrases: Mapping[tuple[str, ...], str] = PHRASE_CLIPS,
) -> list[str]:
    """List the clips to play in order: chime, then the call `repeat` times with pauses between."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1: {repeat}")
    words = announcement.words
    by_length = sorted(phrases.items(), key=lambda item: -len(item[0]))
    once: list[str] = []
    i = 0
    while i < len(words):
        # Longest phrase first, so "xin mời công dân có số thứ tự" wins over shorter phrases.
        for phrase, name in by_length:
            if phrase and words[i : i + len(phrase)] == phrase:
                once.append(name)
                i += len(phrase)
                break
        else:
            once.append(clip_name(words[i]))
            i += 1
    sequence = [CHIME]
    for turn in range(repeat):
        if turn:
            sequence.append(PAUSE)
        sequence += once
    return sequence


def _template_words(templates: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for template in templates:
        for literal, _field, _spec, _conversion in string.Formatter().parse(_nfc(template)):
            words.update(_literal_words(literal))
    return words


@lru_cache(maxsize=8)
def _vocabulary(max_number: int, templates: tuple[str, ...]) -> dict[str, str]:
    if not 0 <= max_number <= MAX_NUMBER:
        raise ValueError(f"max_number out of range 0..{MAX_NUMBER}: {max_number}")
    # Counters 1..MAX_COUNTER and digit mode always need every digit, the tens and hundreds words.
    words = set(DIGITS) | {"mười", "mươi", "mốt", "lăm", "tư", "trăm", "linh", "lẻ"}
    if max_number >= 1000:
        words |= set(THOUSAND_WORDS)
    words |= {word for name in LETTER_NAMES.values() for word in name.split()}
    # Single template words too, so a custom template made of the same words still plays.
    words |= _template_words(templates)
    clips = {clip_name(word): word for word in words}
    clips |= {name: " ".join(phrase) for phrase, name in PHRASE_CLIPS.items()}
    clips |= {CHIME: "", PAUSE: ""}
    return clips


def clip_vocabulary(
    *, max_number: int = 9999, templates: Iterable[str] = CALL_TEMPLATES
) -> dict[str, str]:
    """Map every clip name a call can need to the text it speaks ("" for chime and pause)."""
    return dict(_vocabulary(max_number, tuple(templates)))


def all_clip_names(
    *, max_number: int = 9999, templates: Iterable[str] = CALL_TEMPLATES
) -> set[str]:
    """Name every clip that calls with numbers 0..max_number, any letter and counter can need."""
    return set(_vocabulary(max_number, tuple(templates)))
