"""Request and response bodies of the HTTP API (the canonical order JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postcode: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    phone: str | None = Field(default=None, max_length=40)


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Code
    qty: int = Field(ge=1, le=10_000)
    unit_price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Code = Field(description="shopify, amazon, ebay, woocommerce, phone, web, csv ...")
    channel_ref: str = Field(min_length=1, max_length=100,
                             description="the channel's own order id, kept as a string")
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    ship_to: Address
    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$")
    total: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    payment_status: Literal["paid", "pending", "failed"] = "paid"
    customer_email: EmailStr | None = None
    promised_by: datetime | None = None
    service_level: Literal["standard", "express", "economy"] = "standard"


class LineOut(BaseModel):
    line_no: int
    sku: str
    qty: int
    unit_price: Decimal
    qty_picked: int
    qty_short: int


class ShipmentOut(BaseModel):
    id: str
    courier: str
    service: str
    tracking_number: str
    weight_g: float
    label_printed_at: datetime | None


class OrderOut(BaseModel):
    id: str
    channel: str
    channel_ref: str
    status: str
    payment_status: str
    lines: list[LineOut]
    ship_to: dict[str, Any]
    currency: str
    total: Decimal
    customer_email: str | None
    service_level: str
    created_at: datetime
    promised_by: datetime | None
    shipment: ShipmentOut | None = None


class TimelineEntry(BaseModel):
    step: int
    step_title: str
    name: str
    at: datetime
    actor: str
    outcome: str
    details: dict[str, Any]


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Code
    name: str = Field(min_length=1, max_length=200)
    barcode: str = Field(pattern=r"^[\x21-\x7e]{1,64}$", description="GTIN/EAN or own code")
    unit_weight_g: float = Field(gt=0, le=1_000_000)
    reorder_level: int = Field(default=0, ge=0)


class SkuOut(SkuIn):
    available: int | None = None


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    zone: Code
    pick_sequence: int = Field(default=0, ge=0)


class ReceiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Code
    location: Code
    qty: int = Field(ge=1, le=1_000_000)
    ref: str | None = Field(default=None, max_length=200)


class AdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Code
    location: Code
    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)


class BalanceOut(BaseModel):
    sku: str
    location: str
    on_hand: int
    reserved: int
    available: int


class DeviceOut(BaseModel):
    device_id: str
    site: str
    role: str | None
    zone: str | None
    state: str
    locations: list[str]
    peripherals: dict[str, Any]
    version: str | None
    last_seen: datetime
    outbox_depth: int | None


class ReleaseOut(BaseModel):
    order_id: str
    tasks: list[str]
