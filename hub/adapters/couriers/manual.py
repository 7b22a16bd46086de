"""The built-in "own van / manual" courier: needs no network; tracking numbers are UPU S10
numbers (check digit included) from the hub's own sequence."""

from __future__ import annotations

from hub.adapters.couriers.base import Booking, BookingRequest, Courier
from hub.domain.tracking import s10_number


class ManualCourier(Courier):
    name = "manual"

    def __init__(self, service_indicator: str = "VV", country: str = "GB") -> None:
        self.service_indicator = service_indicator
        self.country = country

    def book(self, request: BookingRequest) -> Booking:
        service = request.service_code or (
            "next_day" if request.service_level == "express" else "standard")
        return Booking(
            courier=self.name,
            service=service,
            tracking_number=s10_number(self.service_indicator, request.serial, self.country),
            why=request.why or ("manual courier: the only courier configured; "
                                f"service {service} for service level {request.service_level}"),
        )
