"""Printers chosen by URL, opened through python-escpos.

    network://192.168.1.50:9100        Ethernet/Wi-Fi printer, raw port (default 9100)
    usb://0x04b8:0x0202                USB by vendor:product id (needs pyusb)
    serial:///dev/ttyUSB0?baudrate=19200   serial or USB-serial (needs pyserial)
    file:///dev/usb/lp0                a device file (Linux usblp)
    cups://NAME                        a raw CUPS queue (needs pycups)
    memory://NAME                      in-process, keeps the bytes (tests and demo)
    agent://                           printed by the print agent on the kiosk PC (printers.agent);
                                       the server never opens it (takes ?width= and ?profile=)

Every URL takes `?width=576` (80 mm, the default) or `?width=384` (58 mm), optionally
`?profile=TM-T20II` (a python-escpos printer profile) and `?status=off` (never ask the printer
for its paper state, for printers that do not answer real-time status).
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

PrinterState = Literal["ok", "paper_low", "paper_out", "offline", "unknown"]
PRINTER_STATES: tuple[PrinterState, ...] = ("ok", "paper_low", "paper_out", "offline", "unknown")

DEFAULT_WIDTH = 576
DEFAULT_PORT = 9100
SCHEMES = ("network", "usb", "serial", "file", "cups", "memory", "agent")
AGENT_SCHEME = "agent"
_COMMON_OPTIONS = {"width", "profile", "status"}
_OPTIONS: dict[str, set[str]] = {
    "network": _COMMON_OPTIONS,
    "usb": _COMMON_OPTIONS | {"in_ep", "out_ep"},
    "serial": _COMMON_OPTIONS | {"baudrate", "bytesize", "parity", "stopbits", "dsrdtr", "xonxoff"},
    "file": _COMMON_OPTIONS,
    "cups": _COMMON_OPTIONS | {"host", "port"},
    "memory": _COMMON_OPTIONS,
    # The agent's own --printer URL says how to reach the printer; here only how to draw for it.
    "agent": {"width", "profile"},
}
# Which pip package brings the driver python-escpos needs for a scheme.
DRIVER_PACKAGES = {"usb": "pyusb", "serial": "pyserial", "cups": "pycups"}


def _escpos_printer() -> Any:
    """python-escpos (with Pillow and qrcode, ~12 MB) loads with the first printer opened, not
    with this module: URL checks and keys do not need it."""
    from escpos import printer

    return printer


def _driver_class(scheme: str) -> Any:
    attr = {"usb": "Usb", "serial": "Serial", "cups": "CupsPrinter"}.get(scheme)
    return None if attr is None else getattr(_escpos_printer(), attr)


# DLE EOT 4 answer bits (Epson): 0x0C roll paper near its end, 0x60 roll paper out.
_PAPER_NEAR_END = 0x0C
_PAPER_OUT = 0x60
_STATUS_FIXED_MASK = 0x93  # bits that are fixed 0/1 in a real DLE EOT answer
_STATUS_FIXED_VALUE = 0x12


class PrinterError(Exception):
    """Base class of the printer errors."""


class PrinterConfigError(PrinterError, ValueError):
    """A printer URL that cannot work, found at configuration time."""


class PrinterDriverMissing(PrinterError):
    """The Python package a transport needs is not installed."""


class PrinterOffline(PrinterError):
    """The printer could not be reached or the bytes could not be written."""


@dataclass(frozen=True)
class PrinterTarget:
    """A parsed printer URL."""

    url: str
    scheme: str
    address: str  # host, device path, "vid:pid", CUPS queue or memory name
    port: int | None = None
    width_dots: int = DEFAULT_WIDTH
    profile: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    status_queries: bool = True  # False with ?status=off

    @property
    def key(self) -> str:
        """A stable name for the physical printer (the URL without its query)."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.address}{port}"


def _fail(url: str, why: str) -> PrinterConfigError:
    return PrinterConfigError(f"printer URL {url!r}: {why}")


def _hex_id(url: str, text: str, what: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise _fail(url, f"{what} {text!r} is not a hexadecimal USB id like 0x04b8") from None
    if not 0 < value <= 0xFFFF:
        raise _fail(url, f"{what} {text!r} is out of range (0x0001-0xffff)")
    return value


def _int_option(url: str, options: dict[str, str], name: str) -> int | None:
    if name not in options:
        return None
    try:
        return int(options[name], 0)
    except ValueError:
        raise _fail(url, f"{name}={options[name]!r} is not a number") from None


def parse_printer_url(url: str) -> PrinterTarget:
    """Parse and check a printer URL; raise PrinterConfigError saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise PrinterConfigError(
            "printer URL is empty; use e.g. network://192.168.1.50:9100 or usb://0x04b8:0x0202"
        )
    url = url.strip()
    if "://" not in url:
        raise _fail(url, f"missing scheme; expected one of {', '.join(s + '://' for s in SCHEMES)}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _fail(url, f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _fail(url, f"cannot read the options {parts.query!r}") from None
    options = dict(pairs)
    unknown = sorted(set(options) - _OPTIONS[scheme])
    if unknown:
        allowed = ", ".join(sorted(_OPTIONS[scheme]))
        raise _fail(
            url, f"unknown option {', '.join(unknown)} for {scheme}:// (allowed: {allowed})"
        )

    width = _int_option(url, options, "width") or DEFAULT_WIDTH
    if width < 256 or width > 832 or width % 8:
        raise _fail(
            url, f"width={width} is not a paper width in dots; use 576 (80 mm) or 384 (58 mm)"
        )
    if options.get("status", "on").lower() not in ("on", "off"):
        raise _fail(
            url, f"status={options['status']!r}: use status=off for printers that never answer"
        )
    profile = options.get("profile") or None
    if profile is not None and profile not in _escpos_profiles():
        raise _fail(url, f"unknown python-escpos profile {profile!r} (e.g. TM-T20II, default)")

    port: int | None = None
    if scheme == "network":
        host = parts.hostname
        if not host:
            raise _fail(url, "no host; use network://HOST:9100")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise _fail(url, "the port must be a number between 1 and 65535") from None
        if parts.path not in ("", "/"):
            raise _fail(url, f"unexpected path {parts.path!r}; use network://HOST:PORT")
        address = f"[{host}]" if ":" in host else host
    elif scheme == "usb":
        vid, sep, pid = parts.netloc.partition(":")
        if not sep or not vid or not pid:
            raise _fail(url, "use usb://VENDOR:PRODUCT in hexadecimal, e.g. usb://0x04b8:0x0202")
        address = f"0x{_hex_id(url, vid, 'vendor id'):04x}:0x{_hex_id(url, pid, 'product id'):04x}"
        for endpoint in ("in_ep", "out_ep"):
            _int_option(url, options, endpoint)
    elif scheme in ("serial", "file"):
        # serial:///dev/ttyUSB0 or serial://COM3 (Windows)
        address = parts.path if not parts.netloc else parts.netloc + parts.path
        if not address or address == "/":
            raise _fail(url, f"no device; use {scheme}:///dev/...")
        if scheme == "serial":
            for number in ("baudrate", "bytesize", "stopbits"):
                _int_option(url, options, number)
    elif scheme == "cups":
        address = parts.netloc or parts.path.strip("/")
        if not address:
            raise _fail(url, "no queue name; use cups://QUEUE_NAME (see lpstat -p)")
        _int_option(url, options, "port")
    elif scheme == "agent":
        if parts.netloc or parts.path not in ("", "/"):
            raise _fail(
                url,
                "agent:// takes no address (the agent on the kiosk PC is given the printer's own"
                " URL); use agent:// or agent://?width=384",
            )
        address = ""
    else:  # memory
        address = parts.netloc or "default"

    return PrinterTarget(
        url=url,
        scheme=scheme,
        address=address,
        port=port,
        width_dots=width,
        profile=profile,
        options={k: v for k, v in options.items() if k not in _COMMON_OPTIONS},
        status_queries=options.get("status", "on").lower() == "on",
    )


def validate_printer_url(url: str) -> str:
    """Return the URL, trimmed, if it names a usable printer; else raise PrinterConfigError."""
    return parse_printer_url(url).url


# What an administrator may set from the web admin. A file:// printer writes wherever the
# server may write, so from the web it may only name a file inside the instance folder (or
# the Linux usblp device); memory:// is for tests. The command line allows every scheme:
# whoever runs it has the server's shell anyway.
WEB_SCHEMES = ("network", "usb", "serial", "cups", "agent", "file")
_USBLP = re.compile(r"/dev/usb/lp[0-9]{1,2}")
_SERIAL_DEVICE = re.compile(
    r"(/dev/(tty[A-Za-z0-9]+|rfcomm[0-9]+|serial/[A-Za-z0-9/_.:-]+)|COM[0-9]{1,3})"
)


class PrinterNotAllowed(PrinterConfigError):
    """A printer URL the web admin may not set (refused before anything is opened)."""


def validate_web_printer_url(url: str, instance_path: str) -> str:
    """validate_printer_url() for a URL typed into the web admin: network, usb, serial, cups and
    agent printers; file:// only inside `instance_path` (or /dev/usb/lpN). Raise
    PrinterNotAllowed for the rest."""
    target = parse_printer_url(url)
    if target.scheme not in WEB_SCHEMES:
        raise PrinterNotAllowed(f"{target.scheme}:// is not allowed from the web admin")
    if target.scheme == "serial" and not _SERIAL_DEVICE.fullmatch(target.address):
        raise PrinterNotAllowed(f"{target.address!r} is not a serial port")
    if target.scheme == "file" and not _USBLP.fullmatch(target.address):
        inside = Path(instance_path).resolve()
        path = Path(target.address).resolve()
        if path == inside or not path.is_relative_to(inside):
            raise PrinterNotAllowed(f"{target.address!r} is outside the instance folder")
    return target.url


def printer_key(url: str) -> str:
    """Return the name of the physical printer a URL points at (options dropped)."""
    return parse_printer_url(url).key


def is_agent_url(url: str | None) -> bool:
    """True when the URL is agent://: a print agent on the kiosk PC prints, not the server."""
    if not url:
        return False
    try:
        return parse_printer_url(url).scheme == AGENT_SCHEME
    except PrinterConfigError:
        return False


def _escpos_profiles() -> Any:
    from escpos.capabilities import CAPABILITIES

    return CAPABILITIES["profiles"]


def width_dots(url: str) -> int:
    """Return the paper width in dots a printer URL asks for (576 when not given)."""
    return parse_printer_url(url).width_dots


def require_driver(url: str) -> None:
    """Raise PrinterDriverMissing naming the pip package if the URL's transport lacks its driver."""
    target = parse_printer_url(url)
    driver = _driver_class(target.scheme)
    if driver is not None and not driver.is_usable():
        package = DRIVER_PACKAGES[target.scheme]
        raise PrinterDriverMissing(
            f"printing to {target.scheme}:// needs the Python package {package!r}, which is not"
            f" installed: pip install {package}"
        )


# --- the in-memory printer -------------------------------------------------------------------


@cache
def _memory_printer_class() -> Any:
    class MemoryPrinter(_escpos_printer().Dummy):  # type: ignore[misc]
        """A Dummy printer whose jobs stay readable in a process-wide registry, by name."""

        def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.name = name

        def close(self) -> None:
            """Hand the bytes written since open() to the registry as one job."""
            data = self.output
            if data:
                _memory(self.name).add(data)
            self.clear()

    return MemoryPrinter


@dataclass
class MemoryDevice:
    """What a memory:// printer has received, and the state tests make it report."""

    jobs: list[bytes] = field(default_factory=list)
    state: PrinterState = "ok"
    online: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # A demo kiosk prints here all day: keep the latest slips only (~80 KB each).
    keep: int = 200

    def add(self, data: bytes) -> None:
        with self.lock:
            self.jobs.append(data)
            if len(self.jobs) > self.keep:
                del self.jobs[: len(self.jobs) - self.keep]


_MEMORY: dict[str, MemoryDevice] = {}
_MEMORY_LOCK = threading.Lock()


def _memory(name: str) -> MemoryDevice:
    with _MEMORY_LOCK:
        return _MEMORY.setdefault(name or "default", MemoryDevice())


def memory_device(name: str = "default") -> MemoryDevice:
    """Return the registry entry of memory://name (jobs, state, online), creating it."""
    return _memory(name)


def memory_output(name: str = "default") -> bytes:
    """Return every byte memory://name has received so far."""
    device = _memory(name)
    with device.lock:
        return b"".join(device.jobs)


def reset_memory_printers() -> None:
    """Forget every memory:// printer (between tests)."""
    with _MEMORY_LOCK:
        _MEMORY.clear()


# --- opening, sending, status ----------------------------------------------------------------


def open_printer(url: str, *, profile: Any = None, timeout: float = 5.0) -> Any:
    """Return an unopened python-escpos printer for the URL, with its paper width set."""
    target = parse_printer_url(url)
    if target.scheme == AGENT_SCHEME:
        raise PrinterConfigError(
            f"printer URL {url!r}: agent:// is printed by the print agent on the kiosk PC"
            " (python -m printers.agent), not opened here"
        )
    require_driver(url)
    from printers.escpos_out import set_paper_width

    escpos_printer = _escpos_printer()
    prof = profile if profile is not None else target.profile
    opts = target.options
    printer: Any
    if target.scheme == "network":
        host = target.address.strip("[]")
        printer = escpos_printer.Network(host, target.port, timeout=timeout, profile=prof)
    elif target.scheme == "usb":
        vid, pid = (int(part, 16) for part in target.address.split(":"))
        extra = {k: int(opts[k], 0) for k in ("in_ep", "out_ep") if k in opts}
        printer = escpos_printer.Usb(vid, pid, timeout=int(timeout * 1000), profile=prof, **extra)
    elif target.scheme == "serial":
        kwargs: dict[str, Any] = {"timeout": timeout}
        for number in ("baudrate", "bytesize", "stopbits"):
            if number in opts:
                kwargs[number] = int(opts[number], 0)
        if "parity" in opts:
            kwargs["parity"] = opts["parity"]
        for flag in ("dsrdtr", "xonxoff"):
            if flag in opts:
                kwargs[flag] = opts[flag].lower() in ("1", "true", "yes", "on")
        printer = escpos_printer.Serial(target.address, profile=prof, **kwargs)
    elif target.scheme == "file":
        printer = escpos_printer.File(target.address, profile=prof)
    elif target.scheme == "cups":
        kwargs = {k: opts[k] for k in ("host",) if k in opts}
        if "port" in opts:
            kwargs["port"] = int(opts["port"])
        printer = escpos_printer.CupsPrinter(target.address, profile=prof, **kwargs)
    else:
        printer = _memory_printer_class()(target.address, profile=prof)
    set_paper_width(printer, target.width_dots)
    return printer


def _connect(url: str, timeout: float) -> Any:
    from escpos.exceptions import DeviceNotFoundError

    target = parse_printer_url(url)
    if target.scheme == "memory" and not _memory(target.address).online:
        raise PrinterOffline(f"{target.key} is offline")
    printer = open_printer(url, timeout=timeout)
    try:
        printer.open()
    except (DeviceNotFoundError, OSError) as exc:
        raise PrinterOffline(f"{target.key} is unreachable: {exc}") from exc
    return printer


def _close(printer: Any) -> None:
    from escpos.exceptions import Error as EscposError

    with contextlib.suppress(OSError, EscposError):
        printer.close()


def send(url: str, data: bytes, timeout: float = 5.0) -> None:
    """Write raw ESC/POS bytes to the printer and close; raise PrinterOffline if it fails."""
    from escpos.exceptions import Error as EscposError

    printer = _connect(url, timeout)
    try:
        printer._raw(data)
    except (OSError, EscposError) as exc:
        # socket errors, pyusb's USBError and pyserial's SerialException are all OSErrors.
        _close(printer)
        raise PrinterOffline(f"{printer_key(url)}: writing failed: {exc}") from exc
    try:
        printer.close()
    except (OSError, EscposError) as exc:
        raise PrinterOffline(f"{printer_key(url)}: closing failed: {exc}") from exc


def paper_state(answer: bytes) -> PrinterState:
    """Read a DLE EOT 4 (paper sensor) answer: ok, paper_low, paper_out or unknown."""
    if not answer:
        return "unknown"
    byte = answer[-1]
    if byte & _STATUS_FIXED_MASK != _STATUS_FIXED_VALUE:
        return "unknown"  # not a status byte (some printers echo, others answer garbage)
    # Each sensor sets two bits together; one bit alone is not a reliable reading.
    if byte & _PAPER_OUT == _PAPER_OUT:
        return "paper_out"
    if byte & _PAPER_NEAR_END == _PAPER_NEAR_END:
        return "paper_low"
    return "ok"


def read_status(url: str, timeout: float = 2.0) -> PrinterState:
    """Ask the printer for its paper sensor (network, USB, serial); offline if unreachable.

    File and CUPS printers cannot answer ("unknown"), nor agent:// ones here (their agent
    reports them); memory printers report what tests set.
    """
    target = parse_printer_url(url)
    if target.scheme == "memory":
        device = _memory(target.address)
        return device.state if device.online else "offline"
    if target.scheme not in ("network", "usb", "serial") or not target.status_queries:
        return "unknown"
    from escpos.constants import RT_STATUS_PAPER
    from escpos.exceptions import Error as EscposError

    try:
        printer = _connect(url, timeout)
    except PrinterOffline:
        return "offline"
    try:
        answer = bytes(printer.query_status(RT_STATUS_PAPER))
    except OSError as exc:
        # A read timeout (socket.timeout, pyusb's USBTimeoutError) means the printer is there
        # but does not answer real-time status; any other error means it went away.
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return "unknown"
        return "offline"
    except EscposError:
        return "offline"
    finally:
        _close(printer)
    return paper_state(answer)
