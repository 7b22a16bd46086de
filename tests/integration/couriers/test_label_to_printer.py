"""The courier's own label, end to end: the published UPS / DHL / EasyPost responses (replayed
by a local HTTP server) are booked by the hub, converted for the printer the bench reported
in its birth message, sent as print_label (through the wire codec), and printed by the real
edge drivers into the printer captures (python-escpos Dummy, the TCP 9100 server)."""

from __future__ import annotations

import base64
import binascii
import copy
import io
import random
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from edge.config import DEFAULT_PROFILES_DIR
from edge.devices.base import Printer
from edge.devices.zpl_printer import ZplPrinter
from edge.profiles import PrinterProfile, load_profile
from edge.sim.printer_capture import Tcp9100Capture, simulated_printer
from edge.wire import codec, topics
from edge.wire import messages as wire
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.labels.convert import PrinterTarget, rasterise
from hub.service_layer.handlers.couriers import ReprintLabel
from tests.integration.couriers.conftest import sample
from tests.integration.couriers.flow import pick_and_pack, timeline
from tests.integration.couriers.replay import ReplayServer
from tests.integration.edge_devices.waiting import wait_for
from tests.integration.hub.conftest import LOCATIONS, SKUS

pytest.importorskip("escpos")

UPS_RESPONSE = sample("courier_ups_shipment_response.json")
UPS_PNG = base64.b64decode(UPS_RESPONSE["ShipmentResponse"]["ShipmentResults"]
                           ["PackageResults"]["ShippingLabel"]["GraphicImage"])
DHL_PDF = base64.b64decode(sample("courier_dhl_express_mydhl_shipment_response.json")
                           ["documents"][0]["content"])
# CONSTRUCTED: no published sample carries a ZPL label; EasyPost answers with label_zpl_url
# when asked for ZPL (its create request does ask), so the buy response below sets it.
COURIER_ZPL = (b"^XA^CI28^PW812^LL1218^FO50,50^A0N,60,60^FDUSPS GROUND ADVANTAGE^FS"
               b"^FO50,150^BCN,200,Y,N,N^FD9400100208303109505657^FS^XZ")
GS_V0 = b"\x1dv0"
GS_K = b"\x1dk"

CARD = """
zones:
  uk_main: {{countries: [GB]}}
services:
  - {{courier: {courier}, code: "{code}", days: 2, cutoff: "23:59", max_weight_g: 30000,
     rates: {{uk_main: [[30000, 5.00]]}}}}
"""


def _ups(server: ReplayServer, response: dict[str, Any] = UPS_RESPONSE) -> dict[str, Any]:
    server.on("POST", "/api/shipments/v2409/ship", (200, response))
    return {"ups": {"base_url": server.url, "account": "A1B2C3"}}


def _dhl(server: ReplayServer) -> dict[str, Any]:
    server.on("POST", "/shipments",
              (201, sample("courier_dhl_express_mydhl_shipment_response.json")))
    return {"dhl": {"base_url": server.url, "account": "123456789"}}


def _easypost(server: ReplayServer, zpl: bool = False) -> dict[str, Any]:
    created = sample("courier_easypost_shipment_create_response.json")
    bought = sample("courier_easypost_shipment_buy_response.json")
    png_path = bought["postage_label"]["label_url"].split(".com", 1)[1]
    server.on("POST", "/v2/shipments", (201, created))
    server.on("GET", png_path, (200, UPS_PNG))  # the published UPS PNG as the label file
    if zpl:
        bought = copy.deepcopy(bought)
        bought["postage_label"]["label_zpl_url"] = bought["postage_label"]["label_url"][:-4] \
            + ".zpl"
        server.on("GET", png_path[:-4] + ".zpl", (200, COURIER_ZPL))
    server.on("POST", f"/v2/shipments/{created['id']}/buy", (200, bought))
    return {"easypost": {"base_url": server.url, "api_key": "EZTK",
                         "files_base_url": server.url}}


COURIERS: dict[str, tuple[str, Callable[[ReplayServer], dict[str, Any]]]] = {
    "ups-png": ("11", _ups), "dhl-pdf": ("P", _dhl), "easypost-png": ("", _easypost),
    "easypost-zpl": ("", lambda s: _easypost(s, zpl=True)),
}
SOURCE = {"ups-png": (UPS_PNG, "PNG"), "dhl-pdf": (DHL_PDF, "PDF"),
          "easypost-png": (UPS_PNG, "PNG"), "easypost-zpl": (COURIER_ZPL, "ZPL")}


def make_hub(database_url: str, tmp_path: Path, server: ReplayServer, courier: str) -> Hub:
    code, setup = COURIERS[courier]
    couriers = setup(server)
    card = tmp_path / "rates.yaml"
    card.write_text(CARD.format(courier=next(iter(couriers)), code=code))
    hub = bootstrap(Settings(
        database_url=database_url, site="test", courier_rates=str(card), couriers=couriers,
        courier_ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        ship_from={"name": "Dock", "line1": "1 Way", "city": "Leeds", "country": "GB"}))
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    return hub


# --- the bench's printer -----------------------------------------------------------------

@dataclass
class Bench:
    printer: Printer
    output: Callable[[], bytes]
    close: Callable[[], None]


def profile(name: str) -> PrinterProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, name, "printer")
    assert isinstance(p, PrinterProfile)
    return p


def escpos_bench(name: str) -> Bench:
    printer, capture = simulated_printer("bench-printer", profile(name))
    printer.open()
    return Bench(printer, capture.output, printer.close)


def zebra_bench() -> Bench:
    server = Tcp9100Capture()
    printer = ZplPrinter("zebra", server.host, server.port, profile("zebra-zd421-zpl"),
                         timeout=2)
    printer.open()

    def output() -> bytes:
        assert wait_for(lambda: server.labels_printed() >= 1)
        return server.output()
    return Bench(printer, output, server.close)


BENCHES: dict[str, Callable[[], Bench]] = {
    "epson-80mm": lambda: escpos_bench("epson-tm-t20iii-80mm"),
    "generic-58mm": lambda: escpos_bench("generic-58mm-escpos"),
    "zebra-zpl": zebra_bench,
}


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    made = BENCHES[request.param]()
    yield made
    made.close()


def birth(hub: Hub, printer: wire.PrinterInfo | None) -> None:
    status = wire.DeviceStatus(device_id="bench-1", boot_id="b1", seq=0, state="online",
                               bdseq=1, role="pack_bench", printer=printer)
    hub.handle(commands.DeviceMessage(topics.status("test", "bench-1"), status))


def print_commands(hub: Hub, order_id: str) -> list[wire.PrintLabel]:
    """The print_label commands queued for the bench, decoded as the agent decodes them."""
    with hub.uow() as uow:
        rows = [r for r in uow.repo.pending_outbox(100)
                if r.order_id == order_id and r.topic.endswith("/cmd/print_label")]
    out = []
    for row in rows:
        message = codec.decode(row.topic, row.payload.encode())
        assert isinstance(message, wire.PrintLabel)
        out.append(message)
    return out


def book_and_send(hub: Hub, printer: wire.PrinterInfo | None) -> tuple[str, wire.PrintLabel]:
    birth(hub, printer)
    order_id = pick_and_pack(hub, "L-1", "MUG", 1, 400.0)
    (command,) = print_commands(hub, order_id)
    return order_id, command


# --- what the captures hold --------------------------------------------------------------

def raster_images(out: bytes) -> list[tuple[int, int, bytes]]:
    """(width bytes, height, rows) of every GS v 0 image in an ESC/POS stream."""
    images, at = [], out.find(GS_V0)
    while at >= 0:
        width = out[at + 4] + 256 * out[at + 5]
        height = out[at + 6] + 256 * out[at + 7]
        start = at + 8
        images.append((width, height, out[start:start + width * height]))
        at = out.find(GS_V0, start + width * height)
    return images


def expected_size(label: bytes, kind: str, width: int) -> tuple[int, int]:
    """The label's size at the printer's width, from the label itself (portrait)."""
    if kind == "PDF":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(label)
        w, h = pdf[0].get_size()
        pdf.close()
    else:
        w, h = Image.open(io.BytesIO(label)).size
    if w > h:
        w, h = h, w
    return width, max(1, round(h * width / w))


@pytest.mark.parametrize("bench", ["epson-80mm", "generic-58mm"], indirect=True)
@pytest.mark.parametrize("courier", ["ups-png", "dhl-pdf", "easypost-png"])
def test_image_labels_print_as_one_raster_on_escpos(
        sqlite_url: str, tmp_path: Path, server: ReplayServer, courier: str,
        bench: Bench) -> None:
    hub = make_hub(sqlite_url, tmp_path, server, courier)
    try:
        info = bench.printer.info()
        assert info is not None and info.language == "escpos"
        _, command = book_and_send(hub, info)
    finally:
        hub.stop()
    document = command.courier_label
    assert document is not None and document.format == "escpos_raster"
    assert command.courier_label_note is None
    label, kind = SOURCE[courier]
    width, height = expected_size(label, kind, info.width_dots)
    assert document.width_dots == width

    assert bench.printer.print_label(command.label, document) is None  # no fallback
    out = bench.output()
    images = raster_images(out)
    assert images and {w for w, _, _ in images} == {width // 8}
    assert sum(h for _, h, _ in images) == height  # python-escpos splits tall images
    assert b"".join(rows for _, _, rows in images) == document.data()  # the hub's pixels
    assert GS_K not in out and command.label.tracking_number.encode() not in out  # no layout
    ink = sum(bin(b).count("1") for b in document.data()) / (width * height)
    if kind == "PDF":
        assert ink == 0.0  # the published DHL sample is an empty Letter page
    else:
        assert 0.01 < ink < 0.6  # the UPS label: text and barcodes, not blank or solid


@pytest.mark.parametrize("bench", ["zebra-zpl"], indirect=True)
@pytest.mark.parametrize("courier", ["ups-png", "dhl-pdf", "easypost-zpl"])
def test_labels_reach_a_zebra_as_zpl(sqlite_url: str, tmp_path: Path, server: ReplayServer,
                                     courier: str, bench: Bench) -> None:
    hub = make_hub(sqlite_url, tmp_path, server, courier)
    try:
        info = bench.printer.info()
        assert info == wire.PrinterInfo(language="zpl", dpi=203, width_dots=812,
                                        formats=["zpl"])
        _, command = book_and_send(hub, info)
    finally:
        hub.stop()
    document = command.courier_label
    assert document is not None and document.format == "zpl"
    assert bench.printer.print_label(command.label, document) is None
    out = bench.output()
    assert out == document.data()  # the printer got exactly the hub's ZPL, nothing else
    label, kind = SOURCE[courier]
    if kind == "ZPL":
        assert out == COURIER_ZPL  # passed through untouched
        return
    match = re.fullmatch(rb"\^XA\^PW(\d+)\^LL(\d+)\^FO0,0\^GFA,(\d+),(\d+),(\d+),"
                         rb":Z64:([A-Za-z0-9+/=]+):([0-9A-F]{4})\^FS\^XZ", out)
    assert match is not None
    width, height, total, _, row_bytes = (int(match[i]) for i in range(1, 6))
    assert (width, height) == expected_size(label, kind, 812)
    assert row_bytes == 812 // 8 + 1 and total == row_bytes * height
    assert f"{binascii.crc_hqx(match[6], 0):04X}".encode() == match[7]
    rows = zlib.decompress(base64.b64decode(match[6]))
    image = rasterise(label, kind, PrinterTarget("zpl", dpi=203, width_dots=812))
    assert rows == bytes(b ^ 0xFF for b in image.tobytes())  # 1 = black


@pytest.mark.parametrize("bench", ["epson-80mm"], indirect=True)
def test_a_zpl_label_for_an_escpos_bench_prints_the_layout_and_says_why(
        sqlite_url: str, tmp_path: Path, server: ReplayServer, bench: Bench) -> None:
    hub = make_hub(sqlite_url, tmp_path, server, "easypost-zpl")
    try:
        order_id, command = book_and_send(hub, bench.printer.info())
        events = timeline(hub, order_id)
    finally:
        hub.stop()
    assert command.courier_label is None
    assert command.courier_label_note == ("a ZPL label needs a ZPL printer, the bench has an "
                                          "ESC/POS printer")
    assert events["courier_label_not_sent"].details["reason"] == command.courier_label_note
    assert bench.printer.print_label(command.label, command.courier_label) is None
    out = bench.output()
    assert GS_K in out and b"9400100208303109505657" in out  # the layout with its barcode


@pytest.mark.parametrize("bench", ["zebra-zpl"], indirect=True)
def test_a_bench_that_did_not_report_its_printer_gets_a_png_the_zebra_cannot_print(
        sqlite_url: str, tmp_path: Path, server: ReplayServer, bench: Bench) -> None:
    hub = make_hub(sqlite_url, tmp_path, server, "ups-png")
    try:
        _, command = book_and_send(hub, None)
    finally:
        hub.stop()
    document = command.courier_label
    assert document is not None and document.format == "png" and document.width_dots == 576
    note = bench.printer.print_label(command.label, document)
    assert note == ("courier label not printed (a ZPL printer cannot print a PNG label); "
                    "printed the hub's layout")
    out = bench.output()
    assert b"^GFA" not in out and b"^FD1ZXXXXXXXXXXXXXXXX^FS" in out  # the hub's layout


@pytest.mark.parametrize("bench", ["generic-58mm"], indirect=True)
def test_a_png_for_an_unknown_printer_is_scaled_to_the_escpos_width(
        sqlite_url: str, tmp_path: Path, server: ReplayServer, bench: Bench) -> None:
    hub = make_hub(sqlite_url, tmp_path, server, "ups-png")
    try:
        _, command = book_and_send(hub, None)
    finally:
        hub.stop()
    assert command.courier_label is not None and command.courier_label.format == "png"
    assert bench.printer.print_label(command.label, command.courier_label) is None
    images = raster_images(bench.output())
    assert {w for w, _, _ in images} == {384 // 8}
    assert sum(h for _, h, _ in images) == expected_size(UPS_PNG, "PNG", 384)[1]


def tall_noise_png(width: int = 400, height: int = 2400) -> bytes:
    """CONSTRUCTED: a long label of noise, which stays large after conversion."""
    rng = random.Random(6)
    image = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("bench", ["epson-80mm", "zebra-zpl"], indirect=True)
def test_an_oversized_label_is_refused_and_the_layout_prints(
        sqlite_url: str, tmp_path: Path, server: ReplayServer, bench: Bench) -> None:
    response = copy.deepcopy(UPS_RESPONSE)
    label = response["ShipmentResponse"]["ShipmentResults"]["PackageResults"]["ShippingLabel"]
    label["GraphicImage"] = base64.b64encode(tall_noise_png()).decode()
    hub = make_hub(sqlite_url, tmp_path, server, "ups-png")
    _ups(server, response)
    try:
        order_id, command = book_and_send(hub, bench.printer.info())
        events = timeline(hub, order_id)
    finally:
        hub.stop()
    assert command.courier_label is None
    note = command.courier_label_note
    assert note is not None and re.fullmatch(
        rf"the (escpos_raster|zpl) label is \d+ bytes, more than the "
        rf"{wire.COURIER_LABEL_MAX_BYTES} a print_label carries", note)
    assert events["courier_label_not_sent"].details["reason"] == note
    assert bench.printer.print_label(command.label, None) is None
    assert b"1ZXXXXXXXXXXXXXXXX" in bench.output()  # the hub's layout, with the tracking number


@pytest.mark.parametrize("bench", ["epson-80mm"], indirect=True)
def test_reprint_sends_the_same_courier_label(database_url: str, tmp_path: Path,
                                              server: ReplayServer, bench: Bench) -> None:
    hub = make_hub(database_url, tmp_path, server, "dhl-pdf")
    try:
        order_id, first = book_and_send(hub, bench.printer.info())
        with hub.uow() as uow:
            shipment = uow.repo.shipment_for_order(order_id)
            assert shipment is not None
            order = uow.repo.get_order(order_id)
            assert order is not None and order.pack_device_id == "bench-1"
        hub.handle(ReprintLabel(shipment.id))
        commands_sent = print_commands(hub, order_id)
    finally:
        hub.stop()
    assert len(commands_sent) == 2
    again = commands_sent[1]
    assert again.command_id != first.command_id
    assert again.courier_label == first.courier_label and first.courier_label is not None
    assert bench.printer.print_label(again.label, again.courier_label) is None
    assert raster_images(bench.output())
