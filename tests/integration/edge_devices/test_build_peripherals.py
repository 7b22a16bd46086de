"""build_peripherals: the real drivers wired to simulators, for both roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import AgentConfig
from edge.core.readings import ButtonPress, WeightReading
from edge.devices.escpos_printer import EscposPrinter
from edge.devices.evdev_scanner import EvdevScanner
from edge.devices.factory import build_peripherals
from edge.devices.gpio_lights import GpioLights
from edge.devices.mtsics_scale import MtSicsScale
from edge.errors import ConfigError
from edge.sim.gpio_mock import lit_slots, press
from edge.wire.messages import LabelData
from tests.integration.edge_devices.waiting import wait_for

SLOTS = ["A01-01-A", "A01-02-A", "A01-03-A"]


def pick_zone(**lights_options: object) -> AgentConfig:
    return AgentConfig.model_validate({
        "device_id": "zone-a", "role": "pick_zone", "zone": "A",
        "devices": {
            "scanner": {"profile": "zebra-ds2208", "simulate": True},
            "lights": {"profile": "ptl-rgb-buttons", "simulate": True,
                       "options": lights_options or {"slots": SLOTS}},
        }})


def pack_bench(printer: str = "epson-tm-t20iii-80mm") -> AgentConfig:
    return AgentConfig.model_validate({
        "device_id": "bench-1", "role": "pack_bench",
        "devices": {
            "scanner": {"profile": "honeywell-voyager-1250g", "simulate": True},
            "scale": {"profile": "mettler-toledo-mt-sics", "simulate": True,
                      "options": {"settle_s": 0.2, "poll_interval_ms": 30}},
            "printer": {"profile": printer, "simulate": True},
        }})


def test_pick_zone() -> None:
    p = build_peripherals(pick_zone())
    assert isinstance(p.scanner, EvdevScanner) and isinstance(p.lights, GpioLights)
    assert p.scale is None and p.printer is None
    assert p.all() == [p.scanner, p.lights]
    assert p.sim.scanner is not None and p.sim.lights is p.lights
    assert p.lights.slots == SLOTS
    scans: list[str] = []
    presses: list[ButtonPress] = []
    p.scanner.on_scan(scans.append)
    p.lights.on_button(presses.append)
    p.open_all()
    try:
        assert wait_for(lambda: all(d.state()[0] == "ok" for d in p.all()))
        p.lights.show("A01-02-A", "blue", qty=2)
        assert lit_slots(p.sim.lights) == {"A01-02-A": "blue"}
        p.sim.scanner.type_barcode("5012345678900")
        assert wait_for(lambda: scans == ["5012345678900"])
        press(p.sim.lights, "A01-02-A", "confirm")
        assert presses == [ButtonPress("A01-02-A", "confirm")]
    finally:
        p.close_all()
    assert all(d.state()[0] == "offline" for d in p.all())


def test_pick_zone_with_explicit_pins() -> None:
    pins = {"B01": {"red": 2, "green": 3, "blue": 4, "confirm": 5, "short": 6}}
    p = build_peripherals(pick_zone(slots=pins))
    assert p.lights is not None
    p.open_all()
    try:
        p.lights.show("B01", "red")
        assert lit_slots(p.sim.lights) == {"B01": "red"}  # type: ignore[arg-type]
        _, factory = p.sim.lights.pins_of("B01")  # type: ignore[union-attr]
        assert factory.pin(2).state == 1
    finally:
        p.close_all()


@pytest.mark.parametrize("printer", ["epson-tm-t20iii-80mm", "generic-58mm-escpos"])
def test_pack_bench(printer: str) -> None:
    p = build_peripherals(pack_bench(printer))
    assert isinstance(p.scale, MtSicsScale) and isinstance(p.printer, EscposPrinter)
    assert p.lights is None and p.sim.scale is not None and p.sim.printer is not None
    assert p.scale.port == p.sim.scale.slave_path  # the real driver opens the pty
    assert p.scale.profile.poll_interval_ms == 30  # options override the profile
    readings: list[WeightReading] = []
    scans: list[str] = []
    p.scale.on_reading(readings.append)
    p.scanner.on_scan(scans.append)  # type: ignore[union-attr]
    p.open_all()
    try:
        p.sim.scanner.type_barcode("ORDER-1001")  # type: ignore[union-attr]
        assert wait_for(lambda: scans == ["ORDER-1001"])
        p.sim.scale.place(1520.0)
        assert wait_for(lambda: any(r.grams == 1520.0 for r in readings))
        p.printer.print_label(LabelData(order_ref="ORDER-1001", ship_to=["A Person", "Town"],
                                        courier="DPD", service="Next day",
                                        tracking_number="15501234567890", weight_g=1520.0))
        assert p.sim.printer.labels_printed() == 1
        assert b"15501234567890" in p.sim.printer.output()
        p.sim.scale.remove()
        assert wait_for(lambda: readings[-1].grams == 0.0)
    finally:
        p.close_all()
    assert p.scale.state()[0] == "offline"


def test_real_devices_are_built_without_opening_hardware(tmp_path: Path) -> None:
    config = AgentConfig.model_validate({
        "device_id": "bench-2", "role": "pack_bench",
        "devices": {
            "scanner": {"profile": "zebra-ds2208",
                        "options": {"path": "/dev/input/by-id/usb-zebra-event-kbd"}},
            "scale": {"profile": "mettler-toledo-mt-sics",
                      "options": {"port": str(tmp_path / "ttyUSB-scale")}},
            "printer": {"profile": "generic-58mm-escpos",
                        "options": {"connection": "network", "host": "printer.local"}},
        }})
    p = build_peripherals(config)
    assert p.sim.scanner is None and p.sim.scale is None and p.sim.printer is None
    assert isinstance(p.scanner, EvdevScanner)
    assert p.scanner.source.describe() == "/dev/input/by-id/usb-zebra-event-kbd"
    assert isinstance(p.scale, MtSicsScale) and p.scale.port.endswith("ttyUSB-scale")


def test_scanner_vendor_product_from_profile() -> None:
    config = AgentConfig.model_validate({
        "device_id": "z", "role": "pick_zone",
        "devices": {"scanner": {"profile": "zebra-ds2208"}}})
    p = build_peripherals(config)
    assert p.scanner is not None
    assert p.scanner.source.describe() == "05e0:1200"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("devices", "message"), [
    ({"scale": {"profile": "mettler-toledo-mt-sics"}}, "devices.scale.options.port"),
    ({"scale": {"profile": "mettler-toledo-mt-sics", "simulate": True,
                "options": {"baud_rate": 1}}}, "devices.scale.options.baud_rate"),
    ({"scale": {"profile": "zebra-ds2208", "simulate": True}}, "kind: expected 'scale'"),
    ({"scanner": {"profile": "no-such-scanner"}}, "no-such-scanner.yaml: cannot read"),
    ({"lights": {"profile": "ptl-rgb-buttons", "simulate": True}},
     "devices.lights.options.slots"),
    ({"lights": {"profile": "ptl-rgb-buttons", "options": {"slots": ["A1"]}}},
     "real light bars need pins"),
    ({"printer": {"profile": "epson-tm-t20iii-80mm", "options": {"connection": "network"}}},
     "host"),
    ({"scale": {"profile": "mettler-toledo-mt-sics", "simulate": True,
                "options": {"min_change_g": -5}}}, "min_change_g"),
])
def test_bad_configs_raise_config_error(devices: dict, message: str) -> None:
    config = AgentConfig.model_validate({"device_id": "x", "role": "pack_bench",
                                         "devices": devices})
    with pytest.raises(ConfigError) as err:
        build_peripherals(config)
    assert message in str(err.value)


@pytest.mark.parametrize("profile", ["mettler-toledo-8217", "brecknell-scp12",
                                     "cas-continuous", "adam-equipment", "dymo-m10-hid"])
def test_every_scale_profile_builds_its_driver_on_its_simulator(profile: str) -> None:
    config = AgentConfig.model_validate({
        "device_id": "bench-2", "role": "pack_bench",
        "devices": {"scale": {"profile": profile, "simulate": True,
                              "options": {"settle_s": 0.1, "poll_interval_ms": 30}}}})
    p = build_peripherals(config)
    assert p.scale is not None and p.sim.scale is not None
    readings: list[WeightReading] = []
    p.scale.on_reading(readings.append)
    p.open_all()
    try:
        p.sim.scale.place(1500.0)
        assert wait_for(lambda: any(r.grams is not None and abs(r.grams - 1500) < 5
                                    for r in readings), timeout=8)
    finally:
        p.close_all()


def test_pack_bench_with_a_zpl_printer_on_a_9100_capture() -> None:
    from edge.devices.zpl_printer import ZplPrinter
    from edge.sim.printer_capture import Tcp9100Capture

    p = build_peripherals(pack_bench("zebra-zd421-zpl"))
    assert isinstance(p.printer, ZplPrinter) and isinstance(p.sim.printer, Tcp9100Capture)
    p.open_all()
    try:
        p.printer.print_label(LabelData(
            order_ref="#7", ship_to=["A Person", "Street 1"], courier="DPD", service="Next day",
            tracking_number="15501234567890", weight_g=500.0))
        assert wait_for(lambda: p.sim.printer is not None and p.sim.printer.labels_printed() == 1)
        assert b"^PW812" in p.sim.printer.output()
    finally:
        p.close_all()
