"""Commands: requests to change state, each handled by exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class NewLine:
    sku: str
    qty: int
    unit_price: Decimal = Decimal("0")


@dataclass(frozen=True)
class CreateOrder(Command):
    channel: str
    channel_ref: str
    lines: list[NewLine]
    ship_to: dict[str, Any]
    currency: str = "GBP"
    total: Decimal = Decimal("0")
    payment_status: str = "paid"
    customer_email: str | None = None
    promised_by: datetime | None = None
    service_level: str = "standard"


@dataclass(frozen=True)
class CreateOrders(Command):
    """Many orders in one transaction, each in its own savepoint (a refused one alone)."""

    orders: list[CreateOrder] = field(compare=False)


@dataclass(frozen=True)
class ReleaseOrder(Command):
    order_id: str
    actor: str = "system"


@dataclass(frozen=True)
class AddSku(Command):
    sku: str
    name: str
    barcode: str
    unit_weight_g: float
    reorder_level: int = 0


@dataclass(frozen=True)
class AddLocation(Command):
    code: str
    zone: str
    pick_sequence: int = 0


@dataclass(frozen=True)
class ReceiveStock(Command):
    sku: str
    location: str
    qty: int
    ref: str | None = None


@dataclass(frozen=True)
class AdjustStock(Command):
    sku: str
    location: str
    delta: int
    reason: str


@dataclass(frozen=True)
class DeviceMessage(Command):
    """A decoded message from a device (edge.wire model), with the topic it came on."""

    topic: str
    message: Any = field(compare=False)


@dataclass(frozen=True)
class DeviceBatch(Command):
    """Device messages handled in one transaction, each in its own savepoint."""

    messages: list[DeviceMessage] = field(compare=False)
