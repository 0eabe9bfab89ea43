"""Printer URLs, the transports behind them, and reading the paper sensor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from escpos import printer as escpos_printer

from printers.backends import (
    PrinterConfigError,
    PrinterDriverMissing,
    PrinterOffline,
    memory_device,
    memory_output,
    open_printer,
    paper_state,
    parse_printer_url,
    printer_key,
    read_status,
    require_driver,
    send,
    validate_printer_url,
    width_dots,
)
from printers.escpos_out import slip_bytes
from printers.layout import render_ticket
from printers.sample import sample_ticket_slip
from tests.printer_loopback import LoopbackPrinter, cut_follows_raster, parse_raster, stitch

NOW = datetime(2025, 7, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


pytestmark = pytest.mark.usefixtures("fresh_memory_printers")


@pytest.fixture
def loopback() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as printer:
        yield printer


@pytest.mark.parametrize(
    ("url", "scheme", "address", "port", "width"),
    [
        ("network://192.168.1.50:9100", "network", "192.168.1.50", 9100, 576),
        ("network://printer.lan", "network", "printer.lan", 9100, 576),
        ("NETWORK://10.0.0.7:9101?width=384", "network", "10.0.0.7", 9101, 384),
        ("usb://0x04b8:0x0202", "usb", "0x04b8:0x0202", None, 576),
        ("usb://4B8:E15?out_ep=0x03", "usb", "0x04b8:0x0e15", None, 576),
        ("serial:///dev/ttyUSB0?baudrate=19200", "serial", "/dev/ttyUSB0", None, 576),
        ("serial://COM3?baudrate=9600", "serial", "COM3", None, 576),
        ("file:///dev/usb/lp0?width=384", "file", "/dev/usb/lp0", None, 384),
        ("cups://POS80", "cups", "POS80", None, 576),
        ("memory://", "memory", "default", None, 576),
        ("memory://kiosk-1?profile=TM-T20II", "memory", "kiosk-1", None, 576),
    ],
)
def test_good_printer_urls_are_understood(
    url: str, scheme: str, address: str, port: int | None, width: int
) -> None:
    target = parse_printer_url(url)
    assert (target.scheme, target.address, target.port, target.width_dots) == (
        scheme,
        address,
        port,
        width,
    )
    assert validate_printer_url(f"  {url} ") == url
    assert width_dots(url) == width


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("192.168.1.50:9100", "missing scheme"),
        ("http://192.168.1.50", "unknown scheme 'http'"),
        ("network://", "no host"),
        ("network://:9100", "no host"),
        ("network://printer:abc", "port must be a number"),
        ("network://printer:9100/queue", "unexpected path"),
        ("network://printer?width=500", "use 576 (80 mm) or 384 (58 mm)"),
        ("network://printer?width=wide", "width='wide' is not a number"),
        ("network://printer?baud=9600", "unknown option baud"),
        ("network://printer?profile=NoSuchPrinter", "unknown python-escpos profile"),
        ("network://printer?status=maybe", "use status=off"),
        ("usb://04b8", "usb://VENDOR:PRODUCT"),
        ("usb://zz:0202", "vendor id 'zz' is not a hexadecimal"),
        ("usb://0x04b8:0x10000", "out of range"),
        ("serial://", "no device"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast' is not a number"),
        ("file://", "no device"),
        ("cups://", "no queue name"),
    ],
)
def test_bad_printer_urls_are_refused_with_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(PrinterConfigError) as caught:
        validate_printer_url(url)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("url", "driver", "package"),
    [
        ("usb://0x04b8:0x0202", escpos_printer.Usb, "pyusb"),
        ("serial:///dev/ttyUSB0", escpos_printer.Serial, "pyserial"),
        ("cups://POS80", escpos_printer.CupsPrinter, "pycups"),
    ],
)
def test_a_missing_driver_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, url: str, driver: type, package: str
) -> None:
    monkeypatch.setattr(driver, "is_usable", staticmethod(lambda: False))
    # Configuration still accepts the URL: the printer may hang on another machine (agent).
    assert validate_printer_url(url) == url
    with pytest.raises(PrinterDriverMissing, match=f"pip install {package}"):
        open_printer(url)
    with pytest.raises(PrinterDriverMissing):
        require_driver(url)


def test_the_printer_key_ignores_options() -> None:
    assert printer_key("network://10.0.0.7:9100?width=384") == "network://10.0.0.7:9100"
    assert printer_key("network://10.0.0.7") == printer_key("network://10.0.0.7:9100")


def test_the_url_width_becomes_the_printers_paper_width() -> None:
    printer = open_printer("memory://w?width=384")
    assert printer.profile.profile_data["media"]["width"]["pixels"] == 384
    # The change stays on this printer: the shared profile data is untouched.
    assert open_printer("memory://x").profile.profile_data["media"]["width"]["pixels"] == 576


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (b"\x12", "ok"),
        (b"\x1e", "paper_low"),
        (b"\x72", "paper_out"),
        (b"\x7e", "paper_out"),
        (b"\x16", "ok"),  # one near-end bit alone is not near-end
        (b"\x32", "ok"),  # nor is one paper-out bit
        (b"", "unknown"),
        (b"\x00", "unknown"),
        (b"\xff", "unknown"),
    ],
)
def test_the_paper_sensor_answer_is_read(answer: bytes, state: str) -> None:
    assert paper_state(answer) == state


def test_a_ticket_sent_to_a_network_printer_arrives_and_its_qr_decodes(
    loopback: LoopbackPrinter,
) -> None:
    slip = sample_ticket_slip(NOW)
    send(loopback.url, slip_bytes(render_ticket(slip)))
    [job] = loopback.wait_for_jobs(1)
    image = stitch(parse_raster(job))
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [slip.qr_url]
    assert cut_follows_raster(job)


def test_network_status_follows_the_paper_sensor(loopback: LoopbackPrinter) -> None:
    assert read_status(loopback.url) == "ok"
    loopback.paper = "paper_low"
    assert read_status(loopback.url) == "paper_low"
    loopback.paper = "paper_out"
    assert read_status(loopback.url) == "paper_out"
    assert loopback.status_queries() == 3
    assert loopback.jobs() == []


def test_a_printer_that_went_away_is_offline_and_refuses_jobs(loopback: LoopbackPrinter) -> None:
    loopback.stop()
    assert read_status(loopback.url) == "offline"
    with pytest.raises(PrinterOffline, match="unreachable"):
        send(loopback.url, b"\x1b@", timeout=1.0)
    loopback.start()
    assert read_status(loopback.url) == "ok"


def test_a_printer_that_does_not_answer_status_is_unknown_not_offline() -> None:
    with LoopbackPrinter(answer_status=False) as silent:
        assert read_status(silent.url, timeout=0.2) == "unknown"


def test_status_off_never_asks_the_printer(loopback: LoopbackPrinter) -> None:
    loopback.paper = "paper_out"
    assert read_status(f"{loopback.url}?status=off") == "unknown"
    assert loopback.status_queries() == 0


def test_a_memory_printer_keeps_each_job_and_reports_what_tests_set() -> None:
    send("memory://kiosk-1", b"first")
    send("memory://kiosk-1?width=384", b"second")
    assert memory_device("kiosk-1").jobs == [b"first", b"second"]
    assert memory_output("kiosk-1") == b"firstsecond"
    assert memory_output("other") == b""
    assert read_status("memory://kiosk-1") == "ok"
    memory_device("kiosk-1").state = "paper_out"
    assert read_status("memory://kiosk-1") == "paper_out"
    memory_device("kiosk-1").online = False
    assert read_status("memory://kiosk-1") == "offline"
    with pytest.raises(PrinterOffline):
        send("memory://kiosk-1", b"third")
    assert memory_device("kiosk-1").jobs == [b"first", b"second"]


def test_a_file_printer_gets_the_bytes_and_cannot_report_status(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    url = f"file://{target}"
    send(url, b"\x1b@hello")
    assert target.read_bytes() == b"\x1b@hello"
    assert read_status(url) == "unknown"


def test_a_file_printer_whose_device_is_missing_is_offline(tmp_path: Path) -> None:
    with pytest.raises(PrinterOffline):
        send(f"file://{tmp_path}/no/such/dir/lp0", b"x")
