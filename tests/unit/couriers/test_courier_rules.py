"""Courier rules, table-driven over weights, sizes, countries, promises and overrides."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.domain.courier_rules import (
    NoServiceFits,
    Parcel,
    Promise,
    add_working_days,
    choose_service,
    despatch_day,
    overrides_from_config,
    services_from_config,
)

CARD = yaml.safe_load((Path(__file__).parent / "rate_card.yaml").read_text())
SERVICES = services_from_config(CARD)
OVERRIDES = overrides_from_config(CARD)
WED_10 = datetime(2026, 11, 25, 10, 0)
WED_1630 = datetime(2026, 11, 25, 16, 30)
FRI_19 = datetime(2026, 11, 27, 19, 0)


def parcel(**kw: Any) -> Parcel:
    return Parcel(**{"weight_g": 800.0, "country": "GB", "postcode": "N1 9GU", **kw})


CASES = [
    # id, parcel, promise, now, service, price
    ("light uk standard", parcel(), Promise(), WED_10, "royalmail:TPS48", 3.20),
    ("light uk express", parcel(), Promise("express"), WED_10, "royalmail:TPN24", 4.50),
    ("second weight band", parcel(weight_g=1500.0), Promise(), WED_10, "royalmail:TPS48", 4.10),
    ("band edge is inclusive", parcel(weight_g=1000.0), Promise(), WED_10, "royalmail:TPS48",
     3.20),
    ("too heavy for royal mail", parcel(weight_g=25000.0), Promise(), WED_10, "dpd:1^12", 6.95),
    ("too big for royal mail", parcel(dims_mm=(700, 500, 100)), Promise(), WED_10, "dpd:1^12",
     6.95),
    ("fits when rotated", parcel(dims_mm=(300, 600, 200)), Promise(), WED_10,
     "royalmail:TPS48", 3.20),
    ("highlands express: surcharge makes dpd dearer", parcel(postcode="IV2 3AB"),
     Promise("express"), WED_10, "royalmail:TPN24", 14.00),
    ("highlands standard", parcel(postcode="iv2 3ab"), Promise(), WED_10, "royalmail:TPS48",
     7.00),
    ("eu standard", parcel(country="FR", postcode="75001", weight_g=2000.0), Promise(), WED_10,
     "dhl:P", 18.00),
    ("us heavy with surcharge", parcel(country="US", postcode="10001", weight_g=40000.0),
     Promise("economy"), WED_10, "dhl:P", 70.00),
    ("hazardous sku", parcel(skus=frozenset({"LIPO-1", "TSHIRT"})), Promise(), WED_10,
     "dpd:1^12", 11.95),
    ("high value", parcel(value=750.0), Promise(), WED_10, "royalmail:TPN24", 4.50),
    ("channel override", parcel(channel="amazon"), Promise(), WED_10, "royalmail:TPN24", 4.50),
    ("after royal mail cut-off, express", parcel(), Promise("express"), WED_1630, "dpd:1^12",
     6.95),
    ("explicit promise date", parcel(), Promise(deliver_by=date(2026, 11, 26)), WED_10,
     "royalmail:TPN24", 4.50),
    ("friday evening, standard, by wednesday", parcel(),
     Promise(deliver_by=date(2026, 12, 2)), FRI_19, "royalmail:TPS48", 3.20),
]


@pytest.mark.parametrize(("parcel_", "promise", "now", "service", "price"),
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_cheapest_eligible_service(parcel_: Parcel, promise: Promise, now: datetime,
                                   service: str, price: float) -> None:
    decision = choose_service(SERVICES, parcel_, promise, now, OVERRIDES)
    assert (decision.service.key, decision.price) == (service, price)
    assert decision.why.startswith(f"{service} at {price:.2f}")


NO_FIT = [
    ("eu express", parcel(country="FR", postcode="75001"), Promise("express"), WED_10,
     "dhl:P: delivers 2026-11-30, after the promised 2026-11-26"),
    ("no zone", parcel(country="JP", postcode="100-0001"), Promise(), WED_10,
     "royalmail:TPS48: does not deliver to JP 100-0001"),
    ("too heavy for all", parcel(country="US", postcode="1", weight_g=80000.0), Promise(),
     WED_10, "dhl:P: 80000 g is over its 70000 g limit"),
    ("hazardous abroad", parcel(country="FR", skus=frozenset({"LIPO-1"})), Promise("economy"),
     WED_10, "dhl:P: does not carry hazardous goods"),
    ("over cover", parcel(country="FR", value=6000.0), Promise("economy"), WED_10,
     "dhl:P: value 6000.00 is over its cover of 5000.00"),
]


@pytest.mark.parametrize(("parcel_", "promise", "now", "reason"),
                         [pytest.param(*c[1:], id=c[0]) for c in NO_FIT])
def test_no_service_fits_explains_every_service(parcel_: Parcel, promise: Promise,
                                                now: datetime, reason: str) -> None:
    with pytest.raises(NoServiceFits) as caught:
        choose_service(SERVICES, parcel_, promise, now, OVERRIDES)
    assert reason in caught.value.reasons
    assert len(caught.value.reasons) == len(SERVICES)


def test_no_services_configured() -> None:
    with pytest.raises(NoServiceFits, match="no services set up"):
        choose_service([], parcel(), Promise(), WED_10)


def test_why_names_the_alternatives_and_the_rejected() -> None:
    decision = choose_service(SERVICES, parcel(weight_g=25000.0, channel="amazon"), Promise(),
                              WED_10, OVERRIDES)
    assert "cheapest of 1 eligible" in decision.why
    assert "royalmail:TPS48: not allowed" not in decision.why
    assert "royalmail:TPS48: excluded by override" in decision.why
    assert "overrides: marketplace requires tracked next day" in decision.why


def test_working_days_and_cutoffs() -> None:
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon
    assert despatch_day(datetime(2026, 11, 28, 9, 0), SERVICES[0].cutoff) == date(2026, 11, 30)
    assert despatch_day(WED_1630, SERVICES[0].cutoff) == date(2026, 11, 26)
