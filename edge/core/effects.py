"""What the pure state machines ask the agent to do. Values only, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from edge.wire.messages import CourierLabel, EventBase, LabelData


@dataclass(frozen=True)
class Publish:
    """An event to store in the outbox and send: the model and its fields minus the envelope."""

    model: type[EventBase]
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.model.model_fields["type"].default)


@dataclass(frozen=True)
class LightSlot:
    slot: str
    colour: str
    qty: int | None = None
    blink: bool = False


@dataclass(frozen=True)
class ClearSlot:
    slot: str


@dataclass(frozen=True)
class ClearAll:
    pass


@dataclass(frozen=True)
class PrintLabel:
    """Print this label, then report back with ``PackBench.label_result``."""

    command_id: str
    order_id: str
    shipment_id: str
    label: LabelData
    courier_label: CourierLabel | None = None  # the courier's own, where the printer can
    courier_label_note: str | None = None  # why the hub sent none


AckStatus = Literal["done", "rejected", "expired"]


@dataclass(frozen=True)
class AckCommand:
    command_id: str
    status: AckStatus
    reason: str | None = None


Effect = Publish | LightSlot | ClearSlot | ClearAll | PrintLabel | AckCommand

WRONG_SCAN_COLOUR = "red"
SEEN_COMMANDS_KEPT = 2000
