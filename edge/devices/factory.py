"""Builds an agent's peripherals from its config: profile + options -> real driver.

With ``simulate: true`` the simulator replaces only the hardware and the REAL driver runs
against it: the scale driver opens the simulator's pty, the scanner driver reads replayed
evdev events, the light bar runs on gpiozero mock pins, the printer writes into a capture.

Options read here besides the profile fields (see each driver module for more):
  scanner  path, vendor_product
  scale    port; simulated: settle_s
  lights   slots (a mapping location -> pins; simulated: also a list of locations), zone
  printer  connection, host, port, timeout, path
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import structlog

from edge.config import AgentConfig, DeviceConfig
from edge.devices.base import Lights, Peripheral, Printer, Scale, Scanner
from edge.devices.escpos_printer import EscposPrinter, connection_from_options
from edge.devices.evdev_scanner import EvdevScanner, EvdevSource
from edge.devices.gpio_lights import GpioLights, SlotPins
from edge.devices.hid_pos_scale import HidPosScale
from edge.devices.mtsics_scale import MtSicsScale
from edge.devices.serial_scale import DRIVERS as SERIAL_SCALE_DRIVERS
from edge.devices.zpl_printer import ZplPrinter
from edge.errors import ConfigError
from edge.profiles import (
    DeviceKind,
    DeviceProfile,
    LightsProfile,
    PrinterProfile,
    ScaleProfile,
    ScannerProfile,
    load_profile,
    profile_fields,
    with_overrides,
)
from edge.sim.gpio_mock import allocate_pins, mock_factory
from edge.sim.hid_scale_sim import HidScaleSimulator
from edge.sim.printer_capture import PrinterCapture, Tcp9100Capture, simulated_printer
from edge.sim.scale_dialect_sims import SIMULATORS as SCALE_SIMULATORS
from edge.sim.scale_dialect_sims import pty_line
from edge.sim.scale_pty import ScaleSimulator
from edge.sim.scanner_replay import ScannerReplay, simulated_scanner

log = structlog.get_logger(__name__)

DRIVER_OPTIONS: dict[DeviceKind, set[str]] = {
    "scanner": {"path", "vendor_product"},
    "scale": {"port", "path", "settle_s"},
    "lights": {"slots", "zone"},
    "printer": {"connection", "host", "port", "timeout", "path"},
}


@dataclass
class SimControls:
    scanner: ScannerReplay | None = None   # .type_barcode(code)
    scale: ScaleSimulator | HidScaleSimulator | None = None  # .place(grams) .remove()
    lights: GpioLights | None = None       # use with edge.sim.gpio_mock.lit_slots / press
    printer: PrinterCapture | Tcp9100Capture | None = None  # .output() .labels_printed()

    def close(self) -> None:
        if self.scale is not None:
            self.scale.close()
        if self.printer is not None:
            self.printer.close()


@dataclass
class Peripherals:
    scanner: Scanner | None
    scale: Scale | None
    lights: Lights | None
    printer: Printer | None
    sim: SimControls = field(default_factory=SimControls)

    def all(self) -> list[Peripheral]:
        return [p for p in (self.scanner, self.scale, self.lights, self.printer)
                if p is not None]

    def open_all(self) -> None:
        opened: list[Peripheral] = []
        try:
            for p in self.all():
                p.open()
                opened.append(p)
        except Exception:
            for p in reversed(opened):
                p.close()
            raise

    def close_all(self) -> None:
        for p in reversed(self.all()):
            try:
                p.close()
            except Exception:
                log.exception("peripheral_close_failed", peripheral=p.name)
        self.sim.close()


_PUSHED: dict[DeviceKind, DeviceProfile] = {}  # set only while build_* runs


def _profile(config: AgentConfig, kind: DeviceKind, dev: DeviceConfig) -> Any:
    where = f"devices.{kind}"
    unknown = set(dev.options) - DRIVER_OPTIONS[kind] - profile_fields(kind)
    if unknown:
        raise ConfigError(f"{where}.options.{sorted(unknown)[0]}: unknown option")
    profile = _PUSHED.get(kind) or load_profile(config.profiles_dir, dev.profile, kind)
    return with_overrides(profile, dev.options, where)


def _name(config: AgentConfig, kind: str) -> str:
    return f"{config.device_id}-{kind}"


def _build_scanner(config: AgentConfig, dev: DeviceConfig, sim: SimControls) -> Scanner:
    profile = cast(ScannerProfile, _profile(config, "scanner", dev))
    name = _name(config, "scanner")
    if dev.simulate:
        scanner, sim.scanner = simulated_scanner(name, profile)
        return scanner
    vendor_product = dev.options.get("vendor_product")
    if vendor_product:
        vendor, _, product = str(vendor_product).partition(":")
    else:
        vendor, product = profile.usb_vendor_id or "", profile.usb_product_id or ""
    path = dev.options.get("path")
    try:
        source = EvdevSource(path=path, vendor=int(vendor, 16) if vendor else None,
                             product=int(product, 16) if product else None)
    except ValueError as exc:
        raise ConfigError(f"devices.scanner.options: path: {exc}") from None
    return EvdevScanner(name, source, profile)


def _build_scale(config: AgentConfig, dev: DeviceConfig, sim: SimControls) -> Scale:
    profile = cast(ScaleProfile, _profile(config, "scale", dev))
    name = _name(config, "scale")
    settle_s = float(dev.options.get("settle_s", 0.6))
    if profile.dialect == "hid_pos":
        if dev.simulate:
            hid_sim = HidScaleSimulator(settle_s=settle_s,
                                        capacity_g=profile.capacity_g or 10_000.0)
            sim.scale = hid_sim
            return HidPosScale(name, hid_sim.path, profile)
        path = str(dev.options.get("path") or "")
        if not path:
            raise ConfigError("devices.scale.options.path: required (e.g. /dev/hidraw0)")
        return HidPosScale(name, path, profile)
    if dev.simulate:
        scale_sim = SCALE_SIMULATORS[profile.dialect](
            settle_s=settle_s, capacity_g=profile.capacity_g or 30_000.0)
        sim.scale = scale_sim
        port = scale_sim.slave_path
        profile = profile.model_copy(update={"serial": pty_line(profile)})
    else:
        port = str(dev.options.get("port") or "")
        if not port:
            raise ConfigError("devices.scale.options.port: required (e.g. /dev/serial/by-id/...)")
    if profile.dialect == "mt_sics":
        return MtSicsScale(name, port, profile)
    return SERIAL_SCALE_DRIVERS[profile.dialect](name, port, profile)


def _slot_names(slots: Any) -> list[str]:
    if isinstance(slots, Mapping):
        return [str(s) for s in slots]
    if isinstance(slots, list) and all(isinstance(s, str) for s in slots):
        return list(slots)
    raise ConfigError("devices.lights.options.slots: a mapping of pins or a list of locations")


def _build_lights(config: AgentConfig, dev: DeviceConfig, sim: SimControls) -> Lights:
    profile = cast(LightsProfile, _profile(config, "lights", dev))
    slots = dev.options.get("slots")
    if not slots:
        raise ConfigError("devices.lights.options.slots: required")
    zone = dev.options.get("zone")
    zone_pins = SlotPins.from_options("zone", zone) if zone else None
    name = _name(config, "lights")
    if dev.simulate:
        if isinstance(slots, Mapping) and all(isinstance(v, Mapping) for v in slots.values()):
            pins = {str(s): SlotPins.from_options(str(s), p) for s, p in slots.items()}
            lights = GpioLights(name, pins, profile, zone=zone_pins, pin_factory=mock_factory())
        else:
            pins, factories = allocate_pins(_slot_names(slots), profile)
            lights = GpioLights(name, pins, profile, zone=zone_pins,
                                pin_factory=mock_factory(), pin_factories=factories)
        sim.lights = lights
        return lights
    if not isinstance(slots, Mapping):
        raise ConfigError("devices.lights.options.slots: real light bars need pins per slot")
    pins = {str(s): SlotPins.from_options(str(s), p) for s, p in slots.items()}
    return GpioLights(name, pins, profile, zone=zone_pins)


def _build_printer(config: AgentConfig, dev: DeviceConfig, sim: SimControls) -> Printer:
    profile = cast(PrinterProfile, _profile(config, "printer", dev))
    name = _name(config, "printer")
    options = dev.options
    if profile.language == "zpl":
        timeout = float(options.get("timeout", 5))
        if dev.simulate:
            capture = Tcp9100Capture()
            sim.printer = capture
            return ZplPrinter(name, capture.host, capture.port, profile, timeout)
        host = options.get("host")
        if not host:
            raise ConfigError("devices.printer.options.host: required for a ZPL printer")
        return ZplPrinter(name, str(host), int(options.get("port", 9100)), profile, timeout)
    if dev.simulate:
        printer, sim.printer = simulated_printer(name, profile)
        return printer
    connect = connection_from_options(options)
    keep_open = options.get("connection", "dummy") == "dummy"
    return EscposPrinter(name, connect, profile, keep_open=keep_open)


_BUILDERS = {"scanner": _build_scanner, "scale": _build_scale, "lights": _build_lights,
             "printer": _build_printer}


def build_peripheral(config: AgentConfig, kind: DeviceKind, sim: SimControls,
                     profile: DeviceProfile | None = None) -> Peripheral:
    """One device, built (not opened) with ``profile`` instead of its config's profile file
    (a profile pushed by the hub); simulators go into ``sim``."""
    _PUSHED.clear()
    if profile is not None:
        _PUSHED[kind] = profile
    try:
        return _BUILDERS[kind](config, config.devices[kind], sim)  # type: ignore[operator]
    finally:
        _PUSHED.clear()


def build_peripherals(config: AgentConfig,
                      pushed: Mapping[DeviceKind, DeviceProfile] | None = None) -> Peripherals:
    """Every configured device, built but not opened (call ``open_all``); ``pushed`` are
    profiles the hub pushed earlier, used instead of the config's profile files."""
    _PUSHED.clear()
    _PUSHED.update(pushed or {})
    try:
        return _build_all(config)
    finally:
        _PUSHED.clear()


def _build_all(config: AgentConfig) -> Peripherals:
    sim = SimControls()
    devices = config.devices
    built = Peripherals(scanner=None, scale=None, lights=None, printer=None, sim=sim)
    try:
        if "scanner" in devices:
            built.scanner = _build_scanner(config, devices["scanner"], sim)
        if "scale" in devices:
            built.scale = _build_scale(config, devices["scale"], sim)
        if "lights" in devices:
            built.lights = _build_lights(config, devices["lights"], sim)
        if "printer" in devices:
            built.printer = _build_printer(config, devices["printer"], sim)
    except Exception:
        sim.close()
        raise
    return built
