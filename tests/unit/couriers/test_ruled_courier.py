"""The rules courier: delegates to the chosen service's courier and checks the number."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from hub.adapters.couriers.base import Booking, BookingRequest, Courier
from hub.adapters.couriers.manual import ManualCourier
from hub.adapters.couriers.ruled import RulesCourier
from hub.domain.courier_rules import NoServiceFits, services_from_config
from hub.domain.tracking_formats import TrackingValidator, load_formats

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "couriers"
CARD = {"zones": {"gb": {"countries": ["GB"]}}, "services": [
    {"courier": "ups", "code": "11", "days": 1, "cutoff": "23:59", "max_weight_g": 5000,
     "rates": {"gb": [[5000, 5.0]]}},
    {"courier": "manual", "code": "VAN", "days": 1, "cutoff": "23:59", "max_weight_g": 30000,
     "rates": {"gb": [[30000, 9.0]]}}]}
VALIDATOR = TrackingValidator(load_formats(SAMPLES.glob("*tracking_number_format*.json")))


class RecordingUps(Courier):
    """A stand-in UPS that hands out a fixed tracking number."""

    name = "ups"

    def __init__(self, number: str) -> None:
        self.number = number
        self.requests: list[BookingRequest] = []

    def book(self, request: BookingRequest) -> Booking:
        self.requests.append(request)
        return Booking(self.name, request.service_code, self.number, request.why)


def courier(ups: Courier) -> RulesCourier:
    return RulesCourier(services_from_config(CARD), [], {"ups": ups, "manual": ManualCourier()},
                        ship_from={"city": "Leeds"}, now=lambda: datetime(2026, 11, 25, 9),
                        validator=VALIDATOR)


def request(weight_g: float) -> BookingRequest:
    return BookingRequest("ord_1", "ord_1-1", {"country": "GB", "postcode": "LS1"}, weight_g,
                          "express", 42)


@pytest.mark.parametrize(("number", "note"), [
    ("1Z5R89390357567127", "tracking number is a valid UPS number"),
    ("1Z5R89390357567128", "WARNING: tracking number 1Z5R89390357567128 is not a valid ups")])
def test_books_with_the_chosen_courier_and_checks_the_number(number: str, note: str) -> None:
    ups = RecordingUps(number)
    booking = courier(ups).book(request(1000.0))
    assert ups.requests[0].service_code == "11" and ups.requests[0].ship_from == {"city": "Leeds"}
    assert booking.cost == 5.0 and booking.why.startswith("ups:11 at 5.00")
    assert note in booking.why


def test_heavy_parcel_goes_by_van_with_a_valid_s10() -> None:
    booking = courier(RecordingUps("x")).book(request(9000.0))
    assert (booking.courier, booking.service) == ("manual", "VAN")
    assert booking.why.endswith("tracking number is a valid S10 number")


def test_nothing_fits() -> None:
    with pytest.raises(NoServiceFits):
        courier(RecordingUps("x")).book(request(40000.0))


def test_unconfigured_courier_in_the_rate_card_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not configured"):
        RulesCourier(services_from_config(CARD), [], {"manual": ManualCourier()})
