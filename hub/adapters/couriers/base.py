"""The courier port: every courier adapter (and the manual one) implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BookingRequest:
    order_id: str
    parcel_id: str  # idempotency key: one parcel, one label, however often booking is retried
    ship_to: dict[str, Any]
    weight_g: float
    service_level: str
    serial: int  # a hub-wide sequence number, for couriers whose numbers the shipper allocates


@dataclass(frozen=True)
class Booking:
    courier: str
    service: str
    tracking_number: str
    why: str


class Courier(ABC):
    name: str

    @abstractmethod
    def book(self, request: BookingRequest) -> Booking: ...
