"""The real ZplPrinter sending ZPL to a TCP 9100 capture server that answers ~HS."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.devices.zpl_printer import ZplPrinter
from edge.errors import PrinterError
from edge.profiles import PrinterProfile, load_profile
from edge.sim.printer_capture import Tcp9100Capture
from edge.wire.messages import LabelData
from tests.integration.edge_devices.waiting import wait_for

LABEL = LabelData(order_ref="#1001", ship_to=["Jane Doe", "1 High Street", "London SW1A 1AA"],
                  courier="Royal Mail", service="Tracked 24", tracking_number="AB123456785GB",
                  weight_g=1234.0, qr="https://track.example/AB123456785GB")


@pytest.fixture
def profile() -> PrinterProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, "zebra-zd421-zpl", "printer")
    assert isinstance(p, PrinterProfile) and p.language == "zpl"
    return p


@pytest.fixture
def server() -> Iterator[Tcp9100Capture]:
    s = Tcp9100Capture()
    yield s
    s.close()


def test_label_arrives_as_one_4x6_format(server: Tcp9100Capture,
                                         profile: PrinterProfile) -> None:
    printer = ZplPrinter("zebra", server.host, server.port, profile, timeout=2)
    printer.open()
    assert printer.state() == ("ok", None)
    printer.print_label(LABEL)
    assert wait_for(lambda: server.labels_printed() == 1)
    out = server.output()
    assert b"~HS" not in out  # the status query was answered, not printed
    assert out.startswith(b"^XA") and b"^PW812" in out and b"^LL1218" in out
    assert b"^FDAB123456785GB^FS" in out and b"^BQN" in out


def test_paper_out_is_refused_and_reported(server: Tcp9100Capture,
                                           profile: PrinterProfile) -> None:
    printer = ZplPrinter("zebra", server.host, server.port, profile, timeout=2)
    server.paper_out = True
    with pytest.raises(PrinterError, match="paper out"):
        printer.print_label(LABEL)
    assert printer.state() == ("error", "paper out")
    assert server.labels_printed() == 0
    server.paper_out = False
    printer.print_label(LABEL)
    assert printer.state() == ("ok", None)
    assert wait_for(lambda: server.labels_printed() == 1)


def test_unreachable_printer_is_offline(profile: PrinterProfile) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    printer = ZplPrinter("zebra", "127.0.0.1", port, profile, timeout=1)
    printer.open()
    assert printer.state()[0] == "offline"
    with pytest.raises(PrinterError, match="offline"):
        printer.print_label(LABEL)


def test_silent_printer_is_offline(profile: PrinterProfile) -> None:
    with socket.create_server(("127.0.0.1", 0)) as mute:  # accepts, never answers ~HS
        printer = ZplPrinter("zebra", "127.0.0.1", mute.getsockname()[1], profile, timeout=0.3)
        with pytest.raises(PrinterError, match="no host status"):
            printer.print_label(LABEL)
        assert printer.state() == ("offline", "no answer to ~HS")
