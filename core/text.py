"""Vietnamese text compared the way people type it: with or without diacritics, any case."""

from __future__ import annotations

import unicodedata

_PLAIN = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower case, without tone or quality marks, đ as d, spaces collapsed:
    fold("Đăng ký  KHAI SINH") == fold("dang ky khai sinh") == "dang ky khai sinh"."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_PLAIN))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def matches(query: str, *texts: str) -> bool:
    """Every word of the query is found (folded) in one of the texts; an empty query matches."""
    haystack = " ".join(fold(t) for t in texts if t)
    return all(word in haystack for word in fold(query).split())
