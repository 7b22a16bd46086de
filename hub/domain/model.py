"""The order aggregate and the catalogue. Pure Python: no I/O, no SQLAlchemy import.

Classes are mapped to tables imperatively in hub/adapters/orm.py.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hub.domain import events as domain_events
from hub.domain.timeline import OK, SYSTEM, Step, TimelineEvent


class OrderStatus(StrEnum):
    HELD = "held"  # waiting for payment
    READY = "ready"  # paid and recorded, not yet released
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    LABELLED = "labelled"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"
    REFUNDED = "refunded"


class Sku:
    def __init__(self, sku: str, name: str, barcode: str, unit_weight_g: float,
                 reorder_level: int = 0) -> None:
        self.sku = sku
        self.name = name
        self.barcode = barcode
        self.unit_weight_g = unit_weight_g
        self.reorder_level = reorder_level


class Location:
    def __init__(self, code: str, zone: str, pick_sequence: int = 0) -> None:
        self.code = code
        self.zone = zone
        self.pick_sequence = pick_sequence


class OrderLine:
    id: int | None

    def __init__(self, line_no: int, sku: str, qty: int,
                 unit_price: Decimal = Decimal("0")) -> None:
        self.id = None
        self.line_no = line_no
        self.sku = sku
        self.qty = qty
        self.unit_price = unit_price
        self.qty_picked = 0
        self.qty_short = 0


class Order:
    """An order from any channel, in canonical form, and where it is in the process."""

    events: list[domain_events.Event]
    new_timeline: list[TimelineEvent]  # recorded in this unit of work, saved on commit

    def __init__(self, id: str, channel: str, channel_ref: str, lines: list[OrderLine],
                 ship_to: dict[str, Any], currency: str, total: Decimal,
                 payment_status: PaymentStatus, created_at: datetime,
                 customer_email: str | None = None, promised_by: datetime | None = None,
                 service_level: str = "standard") -> None:
        self.id = id
        self.channel = channel
        self.channel_ref = channel_ref
        self.lines = lines
        self.ship_to = ship_to
        self.currency = currency
        self.total = total
        self.payment_status = str(payment_status)
        self.customer_email = customer_email
        self.created_at = created_at
        self.promised_by = promised_by
        self.service_level = service_level
        self.status = str(OrderStatus.HELD)
        self.pack_device_id: str | None = None
        self.version = 1
        self.events = []
        self.new_timeline = []

    # The mapper does not call __init__ when loading; make sure transient lists exist.
    def _ensure_transient(self) -> None:
        if not hasattr(self, "events"):
            self.events = []
        if not hasattr(self, "new_timeline"):
            self.new_timeline = []

    def record(self, step: Step, name: str, at: datetime, actor: str = SYSTEM,
               outcome: str = OK, **details: Any) -> TimelineEvent:
        self._ensure_transient()
        entry = TimelineEvent(self.id, step, name, at, actor, outcome, details)
        self.new_timeline.append(entry)
        return entry

    def emit(self, event: domain_events.Event) -> None:
        self._ensure_transient()
        self.events.append(event)

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

    def line_for(self, sku: str) -> OrderLine | None:
        return next((line for line in self.lines if line.sku == sku), None)

    def expected_weight_g(self, unit_weights: dict[str, float], packaging_g: float) -> float:
        return sum(unit_weights[line.sku] * line.qty for line in self.lines) + packaging_g

    def is_fully_picked(self) -> bool:
        return all(line.qty_picked + line.qty_short >= line.qty for line in self.lines)


class Shipment:
    def __init__(self, id: str, order_id: str, courier: str, service: str,
                 tracking_number: str, weight_g: float, created_at: datetime) -> None:
        self.id = id
        self.order_id = order_id
        self.courier = courier
        self.service = service
        self.tracking_number = tracking_number
        self.weight_g = weight_g
        self.created_at = created_at
        self.label_printed_at: datetime | None = None
        self.status = "booked"


class PickTask:
    """The picks of one order in one zone, sent to that zone's device in walking order."""

    def __init__(self, id: str, order_id: str, zone: str, device_id: str | None,
                 colour: str, created_at: datetime) -> None:
        self.id = id
        self.order_id = order_id
        self.zone = zone
        self.device_id = device_id
        self.colour = colour
        self.created_at = created_at
        self.status = "open"
        self.picks: list[Pick] = []


class Pick:
    def __init__(self, id: str, sku: str, location: str, qty: int, seq: int) -> None:
        self.id = id
        self.sku = sku
        self.location = location
        self.qty = qty
        self.seq = seq
        self.qty_picked = 0
        self.qty_short = 0
        self.status = "open"
