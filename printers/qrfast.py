"""A slip's QR, the same modules as qrcode's `QRCode(ERROR_CORRECT_M).make(fit=True)`, ~20x faster.

qrcode chooses the mask (ISO 18004: the one of eight with the lowest penalty) by drawing the
whole symbol eight times and scoring each drawing cell by cell in Python: ~27 ms of a slip's
~35 ms. Here the symbol is drawn once; the eight candidates differ only in the data modules
(each mask flips a fixed set of them), so each is the first drawing XOR a flip pattern kept per
version, scored on rows held as integers and strings with the same four penalty rules. The
version is fitted once per shape of the data (its chunks' modes and lengths: a ticket link is
always the same shape). tests/unit/test_qrfast.py checks the result equals qrcode's own.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import qrcode
import qrcode.constants
from qrcode import util

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


class _Layout(qrcode.QRCode):  # type: ignore[misc]
    """A symbol with only its function patterns drawn: data modules stay None."""

    def map_data(self, data: object, mask_pattern: int) -> None:
        pass


_versions: dict[tuple[tuple[int, int], ...], int] = {}


def qr_matrix(data: str, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """The QR modules of data (True = dark), quiet zone included, error correction M."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=border)
    qr.add_data(data)
    shape = tuple((chunk.mode, len(chunk.data)) for chunk in qr.data_list)
    version = _versions.get(shape)
    if version is None:
        qr.best_fit()
        version = _versions[shape] = qr.version
    qr.version = version
    qr.makeImpl(True, 0)  # as qrcode scores masks: format information left light
    mask = best_mask(_rows(qr.modules), version)
    n = qr.modules_count
    for r, flip in enumerate(_flips(version)[mask]):  # mask 0 → the chosen mask
        if flip:
            row = qr.modules[r]
            for c in range(n):
                if flip >> (n - 1 - c) & 1:
                    row[c] = not row[c]
    qr.setup_type_info(False, mask)  # the real format information and the dark module
    if version >= 7:
        qr.setup_type_number(False)
    return tuple(tuple(row) for row in qr.get_matrix())


def _rows(modules: list[list[bool]]) -> list[int]:
    """Each row as an integer, the leftmost module the highest bit."""
    return [int("".join("1" if m else "0" for m in row), 2) for row in modules]


@lru_cache(maxsize=16)
def _flips(version: int) -> tuple[tuple[int, ...], ...]:
    """Per mask m: the rows' data modules that mask m flips and mask 0 does not, or back."""
    layout = _Layout(version=version, error_correction=ERROR_CORRECTION)
    layout.data_cache = []
    layout.makeImpl(True, 0)
    n = layout.modules_count
    free = [[layout.modules[r][c] is None for c in range(n)] for r in range(n)]

    def pattern(mask: int) -> list[int]:
        fn = util.mask_func(mask)
        return [
            int("".join("1" if free[r][c] and fn(r, c) else "0" for c in range(n)), 2)
            for r in range(n)
        ]

    zero = pattern(0)
    return tuple(tuple(a ^ b for a, b in zip(zero, pattern(m), strict=True)) for m in range(8))


def best_mask(rows0: list[int], version: int) -> int:
    """The mask qrcode would choose, from the rows drawn with mask 0."""
    best, lowest = 0, -1
    for mask, flip in enumerate(_flips(version)):
        score = penalty([a ^ b for a, b in zip(rows0, flip, strict=True)])
        if lowest < 0 or score < lowest:
            best, lowest = mask, score
    return best


def penalty(rows: list[int]) -> int:
    """ISO 18004's four penalty rules, scored as qrcode.util.lost_point scores them."""
    n = len(rows)
    lines = [format(row, f"0{n}b") for row in rows]
    lines += ["".join(col) for col in zip(*lines, strict=True)]
    lost = 0
    for line in lines:
        for run in _RUN.finditer(line):  # runs of five or more of one colour
            lost += len(run.group()) - 2
        lost += 40 * len(_FINDER_LIKE.findall(line))  # 1:1:3:1:1 beside four light
    inner = (1 << (n - 1)) - 1
    for a, b in itertools.pairwise(rows):  # 2x2 blocks of one colour
        same = ~(a ^ b)
        blocks = same & (same >> 1) & ~(a ^ (a >> 1)) & inner
        lost += 3 * blocks.bit_count()
    dark = sum(row.bit_count() for row in rows)
    lost += int(abs(float(dark) / (n**2) * 100 - 50) / 5) * 10
    return lost
