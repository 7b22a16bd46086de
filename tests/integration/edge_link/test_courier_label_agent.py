"""A pack bench agent on simulated devices over Mosquitto: its birth message names its
printer, a print_label carrying the hub's conversion of the published UPS label crosses the
broker and is printed as a raster image, and a label it cannot print falls back to the
layout with the reason in its command_ack."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.cli import simulated_config
from edge.devices.factory import build_peripherals
from edge.wire import messages as wire
from edge.wire.codec import encode
from hub.labels.for_bench import label_for_bench
from tests.integration.edge_link.edge_hub_double import Received, TestHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(90)]
pytest.importorskip("escpos")

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "couriers"
UPS = json.loads((SAMPLES / "courier_ups_shipment_response.json").read_text(encoding="utf-8"))
UPS_PNG = base64.b64decode(UPS["ShipmentResponse"]["ShipmentResults"]["PackageResults"]
                           ["ShippingLabel"]["GraphicImage"])
GS_V0 = b"\x1dv0"


@pytest.fixture
def bench(mosquitto_url: str, unique_site: str, tmp_path: Path) -> Iterator[Agent]:
    config = simulated_config("pack_bench", "bench-c", unique_site, mosquitto_url, "",
                              tmp_path / "bench.sqlite", True)
    agent = Agent(config, build_peripherals(config), resend_after_s=2.0,
                  operator_options={"think_s": 0.05})
    agent.start()
    assert agent.link.wait_connected(10)
    yield agent
    agent.stop()


def acked(hub: TestHub, event_type: str, count: int = 1, timeout: float = 40) -> list[Received]:
    found = hub.wait_for(lambda m: m.payload.get("type") == event_type, timeout, count)
    hub.ack("bench-c", sorted({m.payload["msg_id"] for m in hub.events()}))  # all, as a hub
    return found


def verified_job(hub: TestHub, ref: str, count: int) -> None:
    hub.command("bench-c", wire.PackJob(
        **hub.envelope(), command_id=f"J-{ref}", order_id=f"O-{ref}", order_ref=ref,
        packaging_g=80.0, lines=[wire.PackLine(sku="MUG", barcode="5012345678900", qty=1,
                                               unit_weight_g=320)]))
    acked(hub, "pack_verified", count=count)


def print_label(hub: TestHub, ref: str, document: wire.CourierLabel | None) -> wire.PrintLabel:
    return wire.PrintLabel(
        **hub.envelope(), command_id=f"L-{ref}", order_id=f"O-{ref}", shipment_id=f"S-{ref}",
        courier_label=document,
        label=wire.LabelData(order_ref=ref, ship_to=["Ann Smith", "1 High St"], courier="ups",
                             service="11", tracking_number=f"1ZTRACK{ref}", weight_g=400))


def test_the_courier_label_crosses_the_broker_and_prints(bench: Agent, hub: TestHub) -> None:
    [status] = hub.wait_for(lambda m: m.topic.endswith("bench-c/status")
                            and m.payload["state"] == "online")
    printer = wire.PrinterInfo.model_validate(status.payload["printer"])
    assert (printer.language, printer.width_dots) == ("escpos", 576)
    document, note = label_for_bench(UPS_PNG, "PNG", printer)
    assert document is not None and note is None
    command = print_label(hub, "A", document)
    assert len(encode(command)) > 90_000  # a real label's worth of raster over MQTT

    verified_job(hub, "A", 1)
    hub.command("bench-c", command)
    [printed] = acked(hub, "label_printed")
    assert printed.payload["tracking_number"] == "1ZTRACKA"
    [ack] = hub.wait_for(lambda m: m.payload.get("type") == "command_ack"
                         and m.payload["command_id"] == "L-A")
    assert ack.payload["status"] == "done" and "reason" not in ack.payload
    out = bench.peripherals.sim.printer.output()  # type: ignore[attr-defined]
    assert GS_V0 in out and b"1ZTRACKA" not in out  # the courier's image, not the layout

    printed_before = len(bench.peripherals.sim.printer.output())  # type: ignore[attr-defined]
    verified_job(hub, "B", 2)
    hub.command("bench-c", print_label(hub, "B", wire.CourierLabel.of(
        "zpl", b"^XA^FO50,50^FDZPL^FS^XZ", 812)))
    [fallback] = hub.wait_for(lambda m: m.payload.get("type") == "command_ack"
                              and m.payload["command_id"] == "L-B")
    assert fallback.payload["status"] == "done"
    assert fallback.payload["reason"] == ("courier label not printed (an ESC/POS printer "
                                          "cannot print a ZPL label); printed the hub's layout")
    out = bench.peripherals.sim.printer.output()[printed_before:]  # type: ignore[attr-defined]
    assert b"1ZTRACKB" in out and GS_V0 not in out  # the layout (hardware barcode, text)
