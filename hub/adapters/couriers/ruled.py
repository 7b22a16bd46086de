"""The courier the hub books with when rate cards are configured: the rules pick the service,
the chosen service's courier books it, and the decision's "why" goes with the booking."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hub.adapters.couriers.base import (
    Booking,
    BookingRequest,
    Courier,
    CourierUnsupported,
    Manifest,
    TrackingUpdate,
)
from hub.domain.courier_rules import (
    Decision,
    Override,
    Parcel,
    Promise,
    Service,
    choose_service,
)
from hub.domain.tracking_formats import TrackingValidator

# our courier -> its code in the published tracking-number formats
TRACKING_FORMATS = {"royalmail": "s10", "manual": "s10", "ups": "ups", "dhl": "dhl",
                    "dpd": "dpd", "yodel": "yodel"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RulesCourier(Courier):
    name = "rules"

    def __init__(self, services: list[Service], overrides: list[Override],
                 couriers: Mapping[str, Courier], *, ship_from: dict[str, Any] | None = None,
                 now: Callable[[], datetime] = _utcnow,
                 validator: TrackingValidator | None = None) -> None:
        missing = sorted({s.courier for s in services} - set(couriers))
        if missing:
            raise ValueError(f"rate cards name couriers that are not configured: {missing}")
        self.services = services
        self.overrides = overrides
        self.couriers = dict(couriers)
        self.ship_from = ship_from or {}
        self.now = now
        self.validator = validator

    def decide(self, request: BookingRequest) -> Decision:
        parcel = Parcel(weight_g=request.weight_g,
                        country=str(request.ship_to.get("country") or "GB"),
                        postcode=str(request.ship_to.get("postcode") or ""),
                        dims_mm=request.dimensions_mm, value=request.value,
                        channel=request.channel, skus=frozenset(request.skus))
        promise = Promise(request.service_level, request.deliver_by)
        return choose_service(self.services, parcel, promise, self.now(), self.overrides)

    def book(self, request: BookingRequest) -> Booking:
        decision = self.decide(request)  # NoServiceFits when nothing can take the parcel
        courier = self.couriers[decision.service.courier]
        booking = courier.book(replace(request, service_code=decision.service.code,
                                       why=decision.why,
                                       ship_from=request.ship_from or self.ship_from))
        why = decision.why + self.check_tracking_number(booking)
        return replace(booking, why=why,
                       cost=booking.cost if booking.cost is not None else decision.price)

    def check_tracking_number(self, booking: Booking) -> str:
        """A note for the timeline: does the number match the courier's published format?
        (The label is bought either way; a mismatch is for a person to look at.)"""
        code = TRACKING_FORMATS.get(booking.courier)
        if self.validator is None or code is None or code not in self.validator.formats:
            return ""
        matches = self.validator.matching(booking.tracking_number, code)
        if matches:
            return f"; tracking number is a valid {matches[0].name} number"
        return f"; WARNING: tracking number {booking.tracking_number} is not a valid {code} number"

    def courier(self, name: str) -> Courier:
        if name not in self.couriers:
            raise CourierUnsupported(name, "courier is not configured")
        return self.couriers[name]

    def cancel(self, booking: Booking) -> None:
        self.courier(booking.courier).cancel(booking)

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise CourierUnsupported(self.name, "track through the courier that carries it")

    def manifest(self, bookings: list[Booking]) -> Manifest:
        couriers = {b.courier for b in bookings}
        if len(couriers) != 1:
            raise CourierUnsupported(self.name, "a manifest is for one courier")
        return self.courier(couriers.pop()).manifest(bookings)

    def stored_booking(self, tracking_number: str) -> Booking | None:
        for courier in self.couriers.values():
            found = courier.stored_booking(tracking_number)
            if found is not None:
                return found
        return None

    def find_booking(self, request: BookingRequest) -> Booking | None:
        for courier in self.couriers.values():
            try:
                found = courier.find_booking(request)
            except CourierUnsupported:
                continue
            if found is not None:
                return found
        return None
