"""A network receipt printer on 127.0.0.1 for tests, and a reader for the ESC/POS it receives.

    with LoopbackPrinter() as printer:          # listens on 127.0.0.1:<free port>
        send(printer.url, data)                 # printer.url == "network://127.0.0.1:PORT"
        jobs = printer.wait_for_jobs(1)         # bytes of each finished connection
        printer.stop(); printer.start()         # goes away, comes back on the same port
        printer.paper = "paper_out"             # what DLE EOT 4 answers

Like a real printer it answers DLE EOT n (real-time status) anywhere in the stream except inside
raster image data.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

Paper = Literal["ok", "paper_low", "paper_out"]

# DLE EOT answers of an Epson-compatible printer (fixed bits 0x12 plus the flags).
PAPER_ANSWER = {"ok": 0x12, "paper_low": 0x1E, "paper_out": 0x72}
ONLINE_ANSWER = 0x16  # DLE EOT 1: online, drawer pin low
QUIET_ANSWER = 0x12  # DLE EOT 2 and 3: no offline cause, no error

DLE_EOT = b"\x10\x04"
RASTER = b"\x1dv0"
_ONLY_STATUS_QUERIES = re.compile(rb"(?:\x10\x04[\x01-\x04])*", re.DOTALL)


@dataclass
class Connection:
    """One TCP connection the printer accepted, and what came in on it."""

    data: bytearray = field(default_factory=bytearray)
    closed: bool = False
    status_queries: list[int] = field(default_factory=list)


class LoopbackPrinter:
    """A TCP printer in a thread that records bytes per connection and answers status queries."""

    def __init__(self, paper: Paper = "ok", *, answer_status: bool = True) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.paper: Paper = paper
        self.answer_status = answer_status
        self.connections: list[Connection] = []
        self._cond = threading.Condition()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The printer URL to give to the code under test."""
        return f"network://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> LoopbackPrinter:
        """Listen (on a free port the first time, on the same port after a stop)."""
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(16)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Go away: stop listening and drop every open connection (the port stays reserved)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._cond:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(2)
        self._threads = [t for t in self._threads if t.is_alive()]

    def __enter__(self) -> LoopbackPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what arrived ----------------------------------------------------------------------------

    def jobs(self) -> list[bytes]:
        """Bytes of each finished connection that carried more than status queries, in order."""
        with self._cond:
            return self._finished_jobs()

    def received(self) -> bytes:
        """Every byte received so far, all connections together."""
        with self._cond:
            return b"".join(bytes(c.data) for c in self.connections)

    def status_queries(self) -> int:
        """How many DLE EOT queries were received."""
        with self._cond:
            return sum(len(c.status_queries) for c in self.connections)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """Wait until at least count jobs have arrived; return them (raise on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._finished_jobs()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = len(self._finished_jobs())
                    raise TimeoutError(f"loopback printer got {got} jobs, wanted {count}")
                self._cond.wait(left)
            return self._finished_jobs()

    def _finished_jobs(self) -> list[bytes]:
        return [
            bytes(c.data)
            for c in self.connections
            if c.closed and c.data and not _ONLY_STATUS_QUERIES.fullmatch(bytes(c.data))
        ]

    # --- the server ------------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn = Connection()
            with self._cond:
                self.connections.append(conn)
                self._sockets.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, conn), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket, conn: Connection) -> None:
        pos = 0
        try:
            while True:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                with self._cond:
                    conn.data += chunk
                    answers, pos = self._scan(conn, pos)
                if answers and self.answer_status:
                    try:
                        sock.sendall(answers)
                    except OSError:
                        break
        finally:
            with self._cond:
                conn.closed = True
                self._sockets.discard(sock)
                self._cond.notify_all()
            sock.close()

    def _scan(self, conn: Connection, pos: int) -> tuple[bytes, int]:
        """Find DLE EOT queries from pos on, stepping over raster data; return answers, new pos."""
        data = conn.data
        answers = bytearray()
        while pos < len(data):
            if data[pos] == 0x1D:
                if pos + 3 > len(data):
                    break  # cannot tell yet whether raster data starts here
                if data[pos + 1 : pos + 3] != RASTER[1:]:
                    pos += 1
                    continue
                if pos + 8 > len(data):
                    break  # the header is still arriving
                width_bytes = data[pos + 4] + 256 * data[pos + 5]
                height = data[pos + 6] + 256 * data[pos + 7]
                end = pos + 8 + width_bytes * height
                if end > len(data):
                    break
                pos = end
                continue
            if data[pos] == 0x10:
                if pos + 3 > len(data):
                    break
                if data[pos + 1] == 0x04:
                    n = data[pos + 2]
                    conn.status_queries.append(n)
                    answers.append(self._answer(n))
                    pos += 3
                    continue
            pos += 1
        return bytes(answers), pos

    def _answer(self, n: int) -> int:
        if n == 4:
            return PAPER_ANSWER[self.paper]
        if n == 1:
            return ONLINE_ANSWER
        return QUIET_ANSWER


# --- reading ESC/POS back --------------------------------------------------------------------


@dataclass(frozen=True)
class RasterBlock:
    """One GS v 0 image found in a byte stream, and where it sat."""

    start: int
    end: int
    image: Image.Image


def raster_blocks(data: bytes) -> list[RasterBlock]:
    """Find every GS v 0 raster image in ESC/POS bytes (black dots become black pixels)."""
    blocks = []
    pos = data.find(RASTER)
    while pos != -1 and pos + 8 <= len(data):
        width_bytes = data[pos + 4] + 256 * data[pos + 5]
        height = data[pos + 6] + 256 * data[pos + 7]
        end = pos + 8 + width_bytes * height
        if end > len(data):
            raise ValueError(f"raster image at byte {pos} is cut short")
        # In ESC/POS a set bit is a printed dot; in Pillow's "1" mode a set bit is white.
        raw = bytes(b ^ 0xFF for b in data[pos + 8 : end])
        image = Image.frombytes("1", (width_bytes * 8, height), raw)
        blocks.append(RasterBlock(pos, end, image))
        pos = data.find(RASTER, end)
    return blocks


def parse_raster(data: bytes) -> list[Image.Image]:
    """Return the GS v 0 raster images in ESC/POS bytes, in order."""
    return [block.image for block in raster_blocks(data)]


def cut_follows_raster(data: bytes) -> bool:
    """True when a paper cut (GS V) comes after the last raster image."""
    blocks = raster_blocks(data)
    if not blocks:
        return False
    return b"\x1dV" in data[blocks[-1].end :]


def stitch(images: list[Image.Image]) -> Image.Image:
    """Stack raster fragments back into the one slip they were cut from."""
    width = max(image.width for image in images)
    sheet = Image.new("1", (width, sum(image.height for image in images)), 255)
    y = 0
    for image in images:
        sheet.paste(image, (0, y))
        y += image.height
    return sheet
