"""Drawing a stored slip into ESC/POS bytes, off gevent's loop, one slip at a time."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask

from lobby.offloop import run_off_loop
from lobby.printing.slips import receipt_from_data, slip_from_data
from printers import backends

log = logging.getLogger(__name__)

_render_lock = threading.Lock()


def render_off_loop(kind: str, data: dict[str, Any], printer_url: str) -> bytes:
    """render_job, run where it cannot stall the server: ~30 ms of CPU would block gevent's loop."""
    with _render_lock:  # one slip at a time: fonts are shared
        return run_off_loop(render_job, kind, data, printer_url)


def render_job(kind: str, data: dict[str, Any], printer_url: str) -> bytes:
    """The ESC/POS bytes of a stored slip, drawn at the width of the printer's URL."""
    # Pillow, qrcode and python-escpos load with the first slip: a process that never prints
    # (a board-only server, a second web process) saves ~12 MB and 0.2 s of start-up.
    from printers.escpos_out import slip_bytes
    from printers.layout import render_receipt, render_ticket

    target = backends.parse_printer_url(printer_url)
    logo = _logo(data.get("logo"))
    if kind == "ticket":
        image = render_ticket(slip_from_data(data), target.width_dots, logo=logo)
    elif kind == "receipt":
        image = render_receipt(receipt_from_data(data), target.width_dots, logo=logo)
    else:
        raise ValueError(f"unknown print job kind {kind!r}")
    return slip_bytes(image, profile=target.profile)


_logo_cache: dict[str, tuple[tuple[int, int], Any]] = {}


def _logo(path: Any) -> Any:
    """The office's logo for the top of the slip, if one was configured and can be read; read
    once and kept until the file changes (the same image object lets the layout keep its
    scaled, dithered copy too)."""
    if not path:
        return None
    # Pillow: loaded with the first slip, as in render_job.
    from PIL import Image, UnidentifiedImageError

    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        known = _logo_cache.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        with Image.open(path) as img:
            img.load()
            logo = img.copy()
    except (OSError, UnidentifiedImageError):
        log.warning("the office logo %s cannot be read; printing without it", path)
        return None
    _logo_cache.clear()  # one office, one logo
    _logo_cache[path] = (stamp, logo)
    return logo


def logo_path(app: Flask) -> str | None:
    """instance/logo.png, when the office has put one there (optional, DOMAIN §9 header)."""
    path = os.path.join(app.instance_path, "logo.png")
    return path if os.path.isfile(path) else None
