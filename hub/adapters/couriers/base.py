"""The courier port: every courier adapter (and the manual one) implements it.

``book`` is the only operation every courier must have; rate, cancel, track, manifest and
find_booking (used to reconcile a timed-out booking before retrying it) raise
``CourierUnsupported`` unless the adapter provides them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class CourierError(Exception):
    """A courier call failed. ``retryable`` tells whether trying again may succeed."""

    retryable = False

    def __init__(self, courier: str, message: str) -> None:
        super().__init__(f"{courier}: {message}")
        self.courier = courier


class CourierTimeout(CourierError):
    """No answer in time: the courier may or may not have booked. Reconcile before retrying."""

    retryable = True


class CourierBadAnswer(CourierTimeout):
    """A 2xx answer the adapter cannot read: the courier may have acted on the request, so it
    is handled like a timeout (reconcile before sending again)."""


class CourierUnavailable(CourierError):
    """5xx or connection refused: nothing was booked, try again later."""

    retryable = True


class CourierRejected(CourierError):
    """4xx: the courier refused the request (bad address, too heavy ...); retrying won't help."""


class CourierUnsupported(CourierError):
    """The courier has no such operation (e.g. the manual courier has no tracking feed)."""


@dataclass(frozen=True)
class BookingRequest:
    order_id: str
    parcel_id: str  # idempotency key: one parcel, one label, however often booking is retried
    ship_to: dict[str, Any]
    weight_g: float
    service_level: str
    serial: int  # a hub-wide sequence number, for couriers whose numbers the shipper allocates
    service_code: str = ""  # the courier's own code for the chosen service (rules decide)
    dimensions_mm: tuple[int, int, int] | None = None  # length, width, height
    value: float = 0.0
    currency: str = "GBP"
    channel: str = ""
    skus: tuple[str, ...] = ()
    ship_from: dict[str, Any] = field(default_factory=dict)
    deliver_by: date | None = None  # the order's promise, when it has a date
    why: str = ""  # the rules' explanation, carried into the Booking


@dataclass(frozen=True)
class Booking:
    courier: str
    service: str
    tracking_number: str
    why: str
    label: bytes = b""
    label_format: str = ""  # PDF, PNG or ZPL; empty when the hub renders the label itself
    courier_ref: str = ""  # the courier's id for the shipment (cancel, label, manifest)
    cost: float | None = None


@dataclass(frozen=True)
class Rate:
    courier: str
    service: str
    amount: float
    currency: str
    days: int | None = None
    ref: str = ""


@dataclass(frozen=True)
class TrackingUpdate:
    tracking_number: str
    status: str  # hub.domain.tracking_status.TrackingStatus value
    at: datetime | None
    code: str
    description: str
    location: str = ""


@dataclass(frozen=True)
class Manifest:
    courier: str
    reference: str
    tracking_numbers: tuple[str, ...]
    document: bytes = b""


class Courier(ABC):
    name: str

    @abstractmethod
    def book(self, request: BookingRequest) -> Booking: ...

    def rate(self, request: BookingRequest) -> list[Rate]:
        raise CourierUnsupported(self.name, "rating is not supported")

    def cancel(self, booking: Booking) -> None:
        raise CourierUnsupported(self.name, "cancelling is not supported")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise CourierUnsupported(self.name, "tracking is not supported")

    def manifest(self, bookings: list[Booking]) -> Manifest:
        raise CourierUnsupported(self.name, "manifests are not supported")

    def find_booking(self, request: BookingRequest) -> Booking | None:
        """The booking the courier already holds for this parcel, if it can tell."""
        raise CourierUnsupported(self.name, "looking up bookings is not supported")

    def stored_booking(self, tracking_number: str) -> Booking | None:
        """The booking we keep for this tracking number (with the courier's label), if any;
        asks nobody over the network."""
        return None
