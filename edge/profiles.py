"""Firmware profiles: one YAML file per device model in firmware_profiles/, validated here.

A profile says how a model behaves (dialect, serial line, layout, capabilities); the agent
config's ``options`` say where this particular unit is (port, path, pins, host) and may also
override any profile field. Each kind has its own model, chosen by ``kind``; new dialects
are added as new ``Literal`` values / models without touching existing profiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from edge.errors import ConfigError
from edge.yaml_files import read_yaml

DeviceKind = Literal["scanner", "scale", "lights", "printer"]


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str = Field(description="manufacturer, as printed on the device",
                        examples=["Zebra", "Mettler Toledo"])
    model: str = Field(description="model name or family this profile was written for",
                       examples=["DS2208", "PS60 / 8217 mode"])
    notes: str | None = Field(default=None, description="quirks and where the facts come from",
                              examples=["Default USB PC keyboard mode adds an Enter suffix."])


class ScannerProfile(_Profile):
    """A USB barcode scanner in keyboard (HID) mode, read through evdev."""

    kind: Literal["scanner"] = Field(description="device kind", examples=["scanner"])
    interface: Literal["evdev"] = Field(
        default="evdev", description="how it is read: evdev = USB HID keyboard wedge",
        examples=["evdev"])
    usb_vendor_id: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{4}$", description="USB vendor id (hex), fallback "
        "when no /dev/input/by-id path is configured", examples=["05e0"])
    usb_product_id: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{4}$", description="USB product id (hex)",
        examples=["1200"])
    keyboard_layout: Literal["us", "uk", "de", "fr"] = Field(
        default="us", description="keyboard layout the SCANNER is programmed for",
        examples=["de"])
    terminator: Literal["ENTER", "KPENTER", "TAB"] = Field(
        default="ENTER", description="suffix key the scanner sends after each code",
        examples=["KPENTER"])
    inter_key_timeout_ms: int = Field(
        default=200, gt=0, le=5000, description="a gap longer than this drops a half-read code",
        examples=[200])
    max_length: int = Field(default=512, gt=0, description="longest code accepted",
                            examples=[512])
    group_separator: str = Field(
        default="\x1d", description="what GS1 FNC1 / group separators are reported as "
        "in the decoded barcode", examples=["\x1d", "|"])
    gs_sent_as: str = Field(
        default="\x1d", min_length=1, description="what the scanner TYPES for a GS1 group "
        "separator: \\x1d = Ctrl+] (the default of most scanners), or the printable stand-in "
        "it was programmed with, e.g. '~' or '<GS>'", examples=["\x1d", "~", "<GS>"])


class SerialSettings(BaseModel):
    """The serial line of a scale (serial dialects only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    baud: int = Field(default=9600, gt=0, description="baud rate", examples=[9600, 4800])
    bytesize: Literal[5, 6, 7, 8] = Field(default=8, description="data bits", examples=[8, 7])
    parity: Literal["N", "E", "O", "M", "S"] = Field(
        default="N", description="parity: N none, E even, O odd, M mark, S space",
        examples=["N", "E"])
    stopbits: Literal[1, 2] = Field(default=1, description="stop bits", examples=[1])
    eol: str = Field(default="\r\n", description="line terminator of commands and answers",
                     examples=["\r\n", "\r", ""])


class ScaleProfile(_Profile):
    """A scale: one of the serial dialects, or a USB HID POS scale."""

    kind: Literal["scale"] = Field(description="device kind", examples=["scale"])
    dialect: Literal["mt_sics", "toledo_8217", "nci_scp12", "cas_continuous", "adam",
                     "hid_pos"] = Field(
        description="protocol (one driver per dialect); hid_pos = USB HID POS scale on "
        "/dev/hidraw*, all others are serial", examples=["mt_sics", "toledo_8217"])
    unit: Literal["g", "kg", "lb", "oz"] | None = Field(
        default=None, description="unit of weights whose frames carry none (Toledo 8217, Adam)",
        examples=["lb"])
    serial: SerialSettings = Field(
        default_factory=SerialSettings, description="serial line settings",
        examples=[{"baud": 9600, "bytesize": 7, "parity": "E", "stopbits": 1, "eol": "\r"}])
    poll_command: Literal["SI", "S"] = Field(
        default="SI", description="MT-SICS only: SI = immediate weight (with motion flag), "
        "S = stable only", examples=["SI"])
    poll_interval_ms: int = Field(default=200, gt=0, description="time between two polls",
                                  examples=[200])
    response_timeout_ms: int = Field(default=1000, gt=0, description="wait for an answer",
                                     examples=[1000])
    offline_after_timeouts: int = Field(
        default=3, ge=1, description="unanswered polls in a row before the scale is offline",
        examples=[3])
    min_change_g: float = Field(
        default=2.0, ge=0, description="a stable reading is reported when it moved this much",
        examples=[2.0])
    emit_motion: bool = Field(
        default=False, description="also report 'motion' readings once per transition",
        examples=[False])
    capacity_g: float | None = Field(default=None, gt=0, description="maximum capacity",
                                     examples=[30000.0])


class LightsProfile(_Profile):
    """A put/pick-to-light bar on Raspberry Pi GPIO pins (gpiozero)."""

    kind: Literal["lights"] = Field(description="device kind", examples=["lights"])
    driver: Literal["gpio"] = Field(default="gpio", description="gpio = gpiozero pins",
                                    examples=["gpio"])
    colour_mode: Literal["rgb", "mono"] = Field(
        description="rgb = one RGB LED per slot, mono = one single-colour LED per slot",
        examples=["rgb"])
    buttons: list[Literal["confirm", "short"]] = Field(
        default_factory=list, description="buttons fitted per slot",
        examples=[["confirm", "short"], []])
    has_qty_display: bool = Field(default=False, description="per-slot quantity display",
                                  examples=[False])
    active_high: bool = Field(default=True, description="LED on when the pin is high",
                              examples=[True])
    pwm: bool = Field(default=True, description="drive RGB LEDs with PWM (needed for mixing)",
                      examples=[True])
    button_pull_up: bool = Field(default=True, description="buttons connect the pin to ground",
                                 examples=[True])
    bounce_ms: int | None = Field(default=20, ge=0, description="button debounce time",
                                  examples=[20])
    blink_on_s: float = Field(default=0.3, gt=0, description="blink: time on", examples=[0.3])
    blink_off_s: float = Field(default=0.3, gt=0, description="blink: time off",
                               examples=[0.3])
    zone_indicator: bool = Field(default=False, description="a zone/completion light is fitted",
                                 examples=[True])


class PrinterProfile(_Profile):
    """A label printer: ESC/POS (python-escpos) or ZPL II over TCP 9100."""

    kind: Literal["printer"] = Field(description="device kind", examples=["printer"])
    language: Literal["escpos", "zpl"] = Field(
        description="printer command language: escpos (python-escpos) or zpl (raw ZPL II "
        "over TCP 9100)", examples=["escpos", "zpl"])
    dpi: int = Field(default=203, gt=0, description="print resolution (ZPL label size)",
                     examples=[203, 300])
    label_width_in: float = Field(default=4.0, gt=0, description="ZPL label width, inches",
                                  examples=[4.0])
    label_length_in: float = Field(default=6.0, gt=0, description="ZPL label length, inches",
                                   examples=[6.0])
    escpos_profile: str = Field(
        default="default", description="python-escpos capability profile name",
        examples=["TM-T20II", "POS-5890"])
    paper_width_mm: int = Field(default=80, gt=0, description="paper roll width",
                                examples=[80, 58])
    width_chars: int = Field(default=48, ge=16, description="characters per line in font A",
                             examples=[48, 32])
    cut: Literal["full", "partial"] = Field(
        default="full", description="cut mode; printers without a cutter (per the capability "
        "profile) only feed the label out", examples=["partial"])
    barcode_height: int = Field(default=80, ge=1, le=255, description="barcode height, dots",
                                examples=[80])
    barcode_width: int = Field(default=2, ge=2, le=6, description="module width in dots",
                               examples=[2])
    force_software_barcode: bool = Field(
        default=False, description="render barcodes as images even if the printer can",
        examples=[False])
    qr_native: bool | None = Field(
        default=None, description="print QR natively; null = as the capability profile says",
        examples=[True])

    @field_validator("escpos_profile")
    @classmethod
    def _known_capability(cls, value: str) -> str:
        try:
            from escpos.capabilities import CAPABILITIES
        except ImportError:  # no escpos on this host: the driver checks at open
            return value
        if value not in CAPABILITIES["profiles"]:
            raise ValueError(f"unknown python-escpos profile {value!r}")
        return value


DeviceProfile = Annotated[ScannerProfile | ScaleProfile | LightsProfile | PrinterProfile,
                          Field(discriminator="kind")]
_adapter: TypeAdapter[DeviceProfile] = TypeAdapter(DeviceProfile)
PROFILE_TYPES: dict[str, type[_Profile]] = {
    "scanner": ScannerProfile, "scale": ScaleProfile, "lights": LightsProfile,
    "printer": PrinterProfile,
}


def _error(where: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = list(first["loc"])
    if len(loc) > 1 and loc[0] in PROFILE_TYPES:  # the union's tag, not a key of the file
        loc = loc[1:]
    key = ".".join(str(p) for p in loc) or "(top level)"
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = "kind"
    return ConfigError(f"{where}: {key}: {first['msg']}")


def profile_path(profiles_dir: Path, name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(f"{profiles_dir}: profile: bad profile name {name!r}")
    return profiles_dir / f"{name}.yaml"


def parse_profile(data: Any, where: str, kind: DeviceKind | None = None) -> DeviceProfile:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: (top level): a profile is a mapping of keys")
    if kind is not None and data.get("kind") != kind:
        raise ConfigError(f"{where}: kind: expected {kind!r}, found {data.get('kind')!r}")
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise _error(where, exc) from None


def load_profile(profiles_dir: Path, name: str, kind: DeviceKind | None = None) -> DeviceProfile:
    """Load and validate ``<profiles_dir>/<name>.yaml``; ConfigError names file, key, reason."""
    path = profile_path(profiles_dir, name)
    return parse_profile(read_yaml(path), str(path), kind)


def with_overrides(profile: DeviceProfile, options: dict[str, Any],
                   where: str) -> DeviceProfile:
    """Apply the options that name profile fields; the others are left to the driver."""
    fields = type(profile).model_fields
    update = {k: v for k, v in options.items() if k in fields and k != "kind"}
    if not update:
        return profile
    data = profile.model_dump()
    data.update(update)
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise _error(f"{where} options", exc) from None


def profile_fields(kind: DeviceKind) -> set[str]:
    return set(PROFILE_TYPES[kind].model_fields)


def profile_schema(kind: DeviceKind | None = None) -> dict[str, Any]:
    """JSON Schema of one profile kind, or of any profile (a union chosen by ``kind``)."""
    if kind is None:
        return {"title": "Firmware profile", **_adapter.json_schema()}
    return PROFILE_TYPES[kind].model_json_schema()
