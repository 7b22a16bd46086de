"""Message models exchanged over MQTT (pydantic v2).

Every message carries the envelope fields ``v`` (schema version), ``msg_id`` (unique),
``device_id`` (the sender; ``hub`` for the hub), ``ts``, ``boot_id`` (one per process start)
and ``seq`` (per sender, per boot). ``type`` names the model and is the discriminator.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

SCHEMA_VERSION = 1

Sku = Annotated[str, Field(min_length=1, max_length=64)]
Qty = Annotated[int, Field(ge=0, le=100_000)]
Grams = Annotated[float, Field(ge=0, le=1_000_000)]


def new_msg_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    msg_id: Annotated[str, Field(min_length=8, max_length=64)] = Field(default_factory=new_msg_id)
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    ts: datetime = Field(default_factory=utcnow)
    boot_id: Annotated[str, Field(min_length=1, max_length=64)]
    seq: Annotated[int, Field(ge=0)]


# --- state (retained) --------------------------------------------------------------------

CourierLabelFormat = Literal["zpl", "escpos_raster", "png"]


class PrinterInfo(BaseModel):
    """What the bench's label printer speaks, so the hub can convert courier labels for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    language: Literal["escpos", "zpl"]
    dpi: Annotated[int, Field(ge=100, le=600)]
    width_dots: Annotated[int, Field(ge=64, le=2400)] = Field(
        description="printable width in dots (the print head, or the ZPL label width)")
    formats: list[CourierLabelFormat] = Field(
        default_factory=list, description="courier label document formats it prints")



class DeviceStatus(Envelope):
    """Birth (online) and death (offline, the Last Will) of an agent."""

    type: Literal["status"] = "status"
    state: Literal["online", "offline"]
    bdseq: Annotated[int, Field(ge=0)] = Field(description="birth/death counter of this agent")
    role: Literal["pick_zone", "pack_bench"] | None = None
    zone: str | None = Field(default=None, description="pick zone the agent serves")
    locations: list[str] = Field(default_factory=list,
                                 description="locations this pick zone has a light for")
    version: str | None = None
    peripherals: dict[str, str] = Field(default_factory=dict)
    profiles: dict[str, str] = Field(
        default_factory=dict, description="peripheral kind -> 'profile@version' it runs")
    printer: PrinterInfo | None = Field(
        default=None, description="the label printer of a pack bench, when it has one")


class PeripheralStatus(Envelope):
    type: Literal["peripheral_status"] = "peripheral_status"
    peripheral: str
    kind: Literal["scanner", "scale", "lights", "printer"]
    state: Literal["ok", "offline", "error"]
    detail: str | None = None


class Health(Envelope):
    type: Literal["health"] = "health"
    uptime_s: float
    outbox_depth: Annotated[int, Field(ge=0)]
    peripherals: dict[str, str] = Field(default_factory=dict)
    clock_synced: bool | None = None
    version: str | None = None
    profiles: dict[str, str] = Field(
        default_factory=dict, description="peripheral kind -> 'profile@version' it runs")


# --- events (edge -> hub, acked by the hub) ---------------------------------------------

class EventBase(Envelope):
    replay: bool = Field(default=False, description="sent again after a reconnect")
    operator: str | None = None


class PickConfirmed(EventBase):
    type: Literal["pick_confirmed"] = "pick_confirmed"
    task_id: str
    pick_id: str
    order_id: str
    sku: Sku
    location: str
    qty: Annotated[int, Field(ge=1, le=100_000)]
    method: Literal["scan", "button"]


class PickShort(EventBase):
    type: Literal["pick_short"] = "pick_short"
    task_id: str
    pick_id: str
    order_id: str
    sku: Sku
    location: str
    qty_picked: Qty
    qty_short: Annotated[int, Field(ge=1, le=100_000)]


class ScanRejected(EventBase):
    """A scan that did not match what was expected (a mistake caught at the device)."""

    type: Literal["scan_rejected"] = "scan_rejected"
    context: Literal["pick", "pack"]
    barcode: str
    reason: Literal["wrong_item", "unknown_order", "over_quantity", "no_active_task"]
    order_id: str | None = None
    task_id: str | None = None


class PackedLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: Sku
    qty: Qty


class PackVerified(EventBase):
    """Every item scanned and the parcel weighed within tolerance: ready for a label."""

    type: Literal["pack_verified"] = "pack_verified"
    order_id: str
    lines: list[PackedLine]
    weight_g: Grams
    expected_g: Grams
    tolerance_g: Grams


class WeightMismatch(EventBase):
    """The stable weight is outside tolerance: the label is held."""

    type: Literal["weight_mismatch"] = "weight_mismatch"
    order_id: str
    weight_g: Grams
    expected_g: Grams
    tolerance_g: Grams


class LabelPrinted(EventBase):
    type: Literal["label_printed"] = "label_printed"
    order_id: str
    shipment_id: str
    tracking_number: str


RMA_PATTERN = r"^RMA-[A-Z0-9]{4,32}$"


class ReturnScanned(EventBase):
    """A returned parcel's RMA code scanned at a pack bench: the hub records it received
    (once; a second scan of the same RMA gets an error event)."""

    type: Literal["return_scanned"] = "return_scanned"
    rma: Annotated[str, Field(pattern=RMA_PATTERN)]


class CommandAck(EventBase):
    type: Literal["command_ack"] = "command_ack"
    command_id: str
    status: Literal["done", "rejected", "expired"]
    reason: str | None = None


# --- hub -> edge -------------------------------------------------------------------------

class Ack(Envelope):
    """The hub stored these events; the device may delete them from its outbox."""

    type: Literal["ack"] = "ack"
    msg_ids: list[str] = Field(min_length=1, max_length=1000)


class ErrorEvent(Envelope):
    """The hub rejected a message; nothing of it was applied."""

    type: Literal["error"] = "error"
    ref_msg_id: str | None = None
    ref_topic: str
    code: Literal["bad_json", "unknown_type", "bad_version", "invalid", "rejected"]
    reason: str


class CommandBase(Envelope):
    command_id: str
    expires_at: datetime | None = None


class PickLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pick_id: str
    location: str
    sku: Sku
    barcode: str
    qty: Annotated[int, Field(ge=1, le=100_000)]
    order_id: str | None = Field(
        default=None, description="the order this pick is for, when the task is a wave trip "
        "that picks for several orders; absent: the task's order_id")
    tote: Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None, description="the tote slot on the put-to-light cart that takes this "
        "pick (wave trips)")


class PickTask(CommandBase):
    """Light these picks one after another, in this (walking) order, in this colour.
    A wave trip is one task whose picks are for several orders (each pick names its order
    and tote slot); the task's order_id is then the order of its first pick."""

    type: Literal["pick_task"] = "pick_task"
    task_id: str
    order_id: str
    colour: str = Field(default="green", description="colour name or #rrggbb")
    picks: list[PickLine] = Field(min_length=1)


class CancelTask(CommandBase):
    type: Literal["cancel_task"] = "cancel_task"
    task_id: str


class ApplyProfile(CommandBase):
    """Run this firmware profile for one peripheral. The device validates it, swaps the
    driver and stores it in one step (or keeps the old one and rejects), then reports it in
    ``profiles`` of its status and health."""

    type: Literal["apply_profile"] = "apply_profile"
    peripheral: Literal["scanner", "scale", "lights", "printer"]
    profile: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = Field(
        description="profile name, as the file name in firmware_profiles/ without .yaml")
    version: Annotated[str, Field(min_length=1, max_length=64)]
    content: dict[str, Any] = Field(description="the profile's keys, as in its YAML file")


class PackLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: Sku
    barcode: str
    qty: Annotated[int, Field(ge=1, le=100_000)]
    unit_weight_g: Grams


class PackJob(CommandBase):
    """An order on its way to this bench: what to verify and what it should weigh."""

    type: Literal["pack_job"] = "pack_job"
    order_id: str
    order_ref: str = Field(description="what the tote/order barcode says")
    lines: list[PackLine] = Field(min_length=1)
    packaging_g: Grams = 0.0
    tolerance_g: Grams | None = Field(
        default=None, description="override of the bench tolerance for this order")


class LabelData(BaseModel):
    """What goes on a shipping label, laid out once at the edge per printer language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    order_ref: str
    ship_to: list[str] = Field(min_length=1, max_length=8)
    courier: str
    service: str
    tracking_number: str
    weight_g: Grams
    qr: str | None = None


# A courier label document travels base64-encoded inside one MQTT message; this many base64
# characters leave room for the rest of the command under the codec's 256 KiB payload limit.
COURIER_LABEL_MAX_B64 = 192 * 1024
COURIER_LABEL_MAX_BYTES = COURIER_LABEL_MAX_B64 // 4 * 3


class CourierLabel(BaseModel):
    """The courier's own label, already converted by the hub for this bench's printer.

    ``zpl``: ZPL II to send as it is; ``escpos_raster``: 1-bit rows, 1 = black, most
    significant bit first, ``(width_dots + 7) // 8`` bytes a row (the GS v 0 layout);
    ``png``: an image the printer scales to its own width (sent when the hub does not know
    the printer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: CourierLabelFormat
    data_b64: Annotated[str, Field(min_length=4, max_length=COURIER_LABEL_MAX_B64)] = Field(
        description=f"the document, base64 (at most {COURIER_LABEL_MAX_BYTES} bytes decoded)")
    width_dots: Annotated[int, Field(ge=8, le=2400)]
    dpi: Annotated[int, Field(ge=100, le=600)] = 203

    @field_validator("data_b64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data_b64 is not valid base64") from None
        return value

    @model_validator(mode="after")
    def _matches_format(self) -> CourierLabel:
        data = self.data()
        if self.format == "png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("data is not a PNG image")
        if self.format == "zpl" and b"^XA" not in data.upper():
            raise ValueError("data is not a ZPL label (no ^XA)")
        if self.format == "escpos_raster" and len(data) % ((self.width_dots + 7) // 8):
            raise ValueError(f"{len(data)} bytes are not whole rows of {self.width_dots} dots")
        return self

    def data(self) -> bytes:
        return base64.b64decode(self.data_b64)

    @classmethod
    def of(cls, kind: CourierLabelFormat, data: bytes, width_dots: int,
           dpi: int = 203) -> CourierLabel:
        return cls(format=kind, data_b64=base64.b64encode(data).decode("ascii"),
                   width_dots=width_dots, dpi=dpi)


class PrintLabel(CommandBase):
    """Print a shipping label: the courier's own (``courier_label``) where the printer can,
    else ``label`` laid out at the edge; the ``command_ack`` reason says which fell back."""

    type: Literal["print_label"] = "print_label"
    order_id: str
    shipment_id: str
    label: LabelData
    courier_label: CourierLabel | None = None
    courier_label_note: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="why the hub sent no courier label (when it had one)")


Event = Annotated[
    PickConfirmed | PickShort | ScanRejected | PackVerified | WeightMismatch | LabelPrinted
    | ReturnScanned | CommandAck,
    Field(discriminator="type"),
]
Command = Annotated[PickTask | CancelTask | PackJob | PrintLabel | ApplyProfile,
                    Field(discriminator="type")]

EVENT_TYPES: dict[str, type[EventBase]] = {
    m.model_fields["type"].default: m
    for m in (PickConfirmed, PickShort, ScanRejected, PackVerified, WeightMismatch,
              LabelPrinted, ReturnScanned, CommandAck)
}
COMMAND_TYPES: dict[str, type[CommandBase]] = {
    m.model_fields["type"].default: m
    for m in (PickTask, CancelTask, PackJob, PrintLabel, ApplyProfile)
}
STATE_TYPES: dict[str, type[Envelope]] = {
    "status": DeviceStatus, "peripheral_status": PeripheralStatus, "health": Health,
    "ack": Ack, "error": ErrorEvent,
}

event_adapter: TypeAdapter[Event] = TypeAdapter(Event)
command_adapter: TypeAdapter[Command] = TypeAdapter(Command)
