"""Cells for CSV and XLSX files a spreadsheet opens: text is never taken for a formula.

A cell that begins with =, +, -, @, a tab or a carriage return may be run as a formula by
Excel or LibreOffice (CSV/formula injection, e.g. =HYPERLINK(...) in a field or procedure name
an administrator typed). Such text gets a leading apostrophe, which spreadsheets show as plain
text; numbers stay numbers. Files we read back (the procedures CSV) drop that apostrophe again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with an apostrophe in front when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """Undo safe_cell() on a cell read back from a file this app wrote."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """csv.writer whose rows go through safe_cell()."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])
