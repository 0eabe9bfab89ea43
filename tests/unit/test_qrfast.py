"""The slip's fast QR is module for module the one qrcode draws (issue 16, part 2)."""

from __future__ import annotations

import random
import string

import qrcode
import qrcode.constants

from printers.qrfast import penalty, qr_matrix


def reference(data: str, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def test_ticket_and_dossier_links_of_every_length_give_qrcodes_own_matrix() -> None:
    rng = random.Random(16)
    alphabet = string.ascii_letters + string.digits + "-_"
    masks = set()
    for i in range(120):
        host = rng.choice(
            ["https://thanhloi.example.vn", "http://192.168.1.10:5000", "HTTPS://X.VN"]
        )
        token = "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 120)))
        data = f"{host}/{rng.choice('th')}/{token}" if i % 7 else token.upper()[:30]
        fast = qr_matrix(data, border=i % 5)
        assert fast == reference(data, border=i % 5), data
        masks.add(fast)
    assert len(masks) == 120


def test_the_penalty_is_qrcodes_lost_point() -> None:
    from qrcode.util import lost_point

    rng = random.Random(3)
    for n in (21, 25, 33, 45):
        modules = [[rng.random() < 0.5 for _ in range(n)] for _ in range(n)]
        rows = [int("".join("1" if m else "0" for m in row), 2) for row in modules]
        assert penalty(rows) == lost_point(modules)
