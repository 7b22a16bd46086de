"""The real EscposPrinter writing ESC/POS bytes into a capture (Dummy and TCP 9100)."""

from __future__ import annotations

import pytest

from tests.integration.edge_devices.waiting import wait_for

pytest.importorskip("escpos")

from edge.config import DEFAULT_PROFILES_DIR
from edge.devices.escpos_printer import EscposPrinter, connection_from_options
from edge.errors import ConfigError, PrinterError
from edge.profiles import PrinterProfile, load_profile
from edge.sim.printer_capture import Tcp9100Capture, simulated_printer
from edge.wire.messages import LabelData

GS_K = b"\x1dk"  # GS k: print barcode
GS_V0 = b"\x1dv0"  # GS v 0: raster image
GS_QR = b"\x1d(k"  # GS ( k: native 2D code
LABEL = LabelData(order_ref="#1001", ship_to=["Jane Doe", "1 High Street", "London SW1A 1AA"],
                  courier="Royal Mail", service="Tracked 24", tracking_number="AB123456785GB",
                  weight_g=1234.0, qr="https://track.example/AB123456785GB")


def profile(name: str = "epson-tm-t20iii-80mm", **update: object) -> PrinterProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, name, "printer")
    assert isinstance(p, PrinterProfile)
    return p.model_copy(update=update)


def test_hardware_code128_on_an_epson() -> None:
    printer, capture = simulated_printer("bench-printer", profile())
    printer.open()
    printer.print_label(LABEL)
    out = capture.output()
    assert b"AB123456785GB" in out
    # GS k m=73 (CODE128, function B), length, "{B" + data
    assert GS_K + bytes([73, len("{BAB123456785GB")]) + b"{BAB123456785GB" in out
    assert GS_QR in out  # native QR
    assert b"Jane Doe" in out and b"London SW1A 1AA" in out and b"#1001" in out
    assert out.startswith(b"\x1b") and b"\x1dV" in out  # ends with a cut
    assert capture.labels_printed() == 1
    printer.print_label(LABEL.model_copy(update={"tracking_number": "1Z999AA10123456784"}))
    assert capture.labels_printed() == 2
    assert b"1Z999AA10123456784" in capture.output()
    assert printer.state() == ("ok", None)
    printer.close()


def test_software_barcode_on_a_58mm_printer() -> None:
    printer, capture = simulated_printer("p58", profile("generic-58mm-escpos"))
    printer.open()
    printer.print_label(LABEL)
    out = capture.output()
    assert GS_K not in out  # no hardware barcode on this profile
    assert GS_V0 in out  # barcode and QR as raster images
    assert GS_QR not in out
    assert b"AB123456785GB" in out  # human-readable line
    assert b"\x1dV" not in out  # no cutter
    assert capture.labels_printed() == 1
    printer.close()


def test_force_software_barcode() -> None:
    printer, capture = simulated_printer("p", profile(force_software_barcode=True))
    printer.open()
    printer.print_label(LABEL.model_copy(update={"qr": None}))
    out = capture.output()
    assert GS_K not in out
    assert b"\x1d(L" in out  # this profile prints images with the GS ( L graphics command
    printer.close()


def test_network_printer_on_tcp_9100() -> None:
    server = Tcp9100Capture()
    try:
        connect = connection_from_options({"connection": "network", "host": server.host,
                                           "port": server.port, "timeout": 2})
        printer = EscposPrinter("net", connect, profile())
        printer.open()
        printer.print_label(LABEL)
        assert wait_for(lambda: server.labels_printed() == 1)
        assert b"AB123456785GB" in server.output()
        assert GS_K in server.output()
        printer.close()
    finally:
        server.close()


def test_offline_network_printer_raises_printer_error() -> None:
    server = Tcp9100Capture()
    port = server.port
    server.close()  # nothing listens there any more
    connect = connection_from_options({"connection": "network", "host": "127.0.0.1",
                                       "port": port, "timeout": 1})
    printer = EscposPrinter("gone", connect, profile())
    printer.open()
    with pytest.raises(PrinterError):
        printer.print_label(LABEL)
    assert printer.state()[0] == "offline"


def test_file_printer(tmp_path) -> None:
    device = tmp_path / "lp0"
    printer = EscposPrinter("usb", connection_from_options({"connection": "file",
                                                            "path": str(device)}), profile())
    printer.open()
    printer.print_label(LABEL)
    assert b"AB123456785GB" in device.read_bytes()
    missing = EscposPrinter("usb", connection_from_options(
        {"connection": "file", "path": str(tmp_path / "no" / "lp0")}), profile())
    missing.open()
    with pytest.raises(PrinterError):
        missing.print_label(LABEL)
    assert missing.state()[0] == "offline"


def test_bad_connection_options() -> None:
    with pytest.raises(ConfigError, match="host"):
        connection_from_options({"connection": "network"})
    with pytest.raises(ConfigError, match="path"):
        connection_from_options({"connection": "file"})
    with pytest.raises(ConfigError, match="carrier-pigeon"):
        connection_from_options({"connection": "carrier-pigeon"})
