"""Courier rules: which service ships this parcel, at what price, and why.

A service has a rate card (price by zone and weight band), parcel limits, surcharges, a
daily cut-off and a delivery promise in working days. The rules keep the services that can
take the parcel and meet the order's promise, apply overrides by channel, SKU or value
(hazardous goods, high value), and pick the cheapest; every service considered is explained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

EXPRESS_DAYS = {"express": 1, "standard": 3, "economy": 7}


class NoServiceFits(Exception):
    """No configured service can take this parcel and keep the order's promise."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("no courier service fits: " + "; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Zone:
    name: str
    countries: frozenset[str]
    postcode_prefixes: tuple[str, ...] = ()  # empty: every postcode of those countries

    def covers(self, country: str, postcode: str) -> bool:
        if country not in self.countries:
            return False
        compact = postcode.replace(" ", "").upper()
        return not self.postcode_prefixes or compact.startswith(self.postcode_prefixes)


@dataclass(frozen=True)
class Surcharge:
    name: str
    amount: float
    zones: frozenset[str] = frozenset()  # empty: every zone
    min_weight_g: float = 0.0
    hazardous: bool = False  # only on hazardous parcels

    def applies(self, zone: str, parcel: Parcel) -> bool:
        return ((not self.zones or zone in self.zones) and parcel.weight_g >= self.min_weight_g
                and (parcel.hazardous or not self.hazardous))


@dataclass(frozen=True)
class Service:
    courier: str
    code: str
    days: int  # working days from despatch to delivery
    cutoff: time  # parcels booked after it leave the next working day
    max_weight_g: float
    zones: tuple[Zone, ...]  # most specific first: the first covering zone prices the parcel
    rates: Mapping[str, tuple[tuple[float, float], ...]]  # zone -> ((max_g, price), ...)
    max_dims_mm: tuple[int, int, int] | None = None
    surcharges: tuple[Surcharge, ...] = ()
    hazardous_ok: bool = False
    max_value: float | None = None  # cover limit

    @property
    def key(self) -> str:
        return f"{self.courier}:{self.code}"

    def zone_for(self, country: str, postcode: str) -> Zone | None:
        return next((z for z in self.zones if z.covers(country, postcode)), None)

    def price(self, zone: str, weight_g: float) -> float | None:
        for max_g, amount in sorted(self.rates.get(zone, ())):
            if weight_g <= max_g:
                return amount
        return None


@dataclass(frozen=True)
class Parcel:
    weight_g: float
    country: str
    postcode: str = ""
    dims_mm: tuple[int, int, int] | None = None
    value: float = 0.0
    channel: str = ""
    skus: frozenset[str] = frozenset()
    hazardous: bool = False


@dataclass(frozen=True)
class Promise:
    service_level: str = "standard"
    deliver_by: date | None = None


@dataclass(frozen=True)
class Override:
    """Applies when the channel matches, any SKU matches or the value reaches min_value."""

    reason: str
    channel: str | None = None
    skus: frozenset[str] = frozenset()
    min_value: float | None = None
    hazardous: bool = False  # the parcel counts as hazardous goods
    only: frozenset[str] = frozenset()  # service keys allowed
    exclude: frozenset[str] = frozenset()  # service keys not allowed

    def matches(self, parcel: Parcel) -> bool:
        return ((self.channel is not None and parcel.channel == self.channel)
                or bool(self.skus & parcel.skus)
                or (self.min_value is not None and parcel.value >= self.min_value))


@dataclass(frozen=True)
class Considered:
    service: str
    price: float | None
    delivery: date | None
    rejected: str = ""  # empty when eligible


@dataclass(frozen=True)
class Decision:
    service: Service
    price: float
    delivery: date
    considered: tuple[Considered, ...]
    overrides: tuple[str, ...] = field(default=())

    @property
    def why(self) -> str:
        eligible = [c for c in self.considered if not c.rejected]
        others = ", ".join(f"{c.service} {c.price:.2f}" for c in eligible
                           if c.service != self.service.key)
        rejected = "; ".join(f"{c.service}: {c.rejected}" for c in self.considered
                             if c.rejected)
        text = (f"{self.service.key} at {self.price:.2f}, delivery {self.delivery.isoformat()}: "
                f"cheapest of {len(eligible)} eligible")
        if others:
            text += f" (others: {others})"
        if rejected:
            text += f"; not eligible: {rejected}"
        if self.overrides:
            text += f"; overrides: {', '.join(self.overrides)}"
        return text


def add_working_days(day: date, days: int) -> date:
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def despatch_day(now: datetime, cutoff: time) -> date:
    day = now.date()
    if day.weekday() >= 5 or now.time() > cutoff:
        day = add_working_days(day, 1)
    return day


def _fits(dims: tuple[int, int, int], limit: tuple[int, int, int]) -> bool:
    return all(d <= m for d, m in zip(sorted(dims), sorted(limit), strict=True))


def _reject_reason(service: Service, parcel: Parcel, allowed: frozenset[str] | None,
                   excluded: frozenset[str], latest: date, delivery: date,
                   zone: Zone | None, price: float | None) -> str:
    if allowed is not None and service.key not in allowed:
        return "not allowed by override"
    if service.key in excluded:
        return "excluded by override"
    if parcel.hazardous and not service.hazardous_ok:
        return "does not carry hazardous goods"
    if parcel.weight_g > service.max_weight_g:
        return f"{parcel.weight_g:.0f} g is over its {service.max_weight_g:.0f} g limit"
    if parcel.dims_mm and service.max_dims_mm and not _fits(parcel.dims_mm, service.max_dims_mm):
        return f"{parcel.dims_mm} mm does not fit {service.max_dims_mm} mm"
    if service.max_value is not None and parcel.value > service.max_value:
        return f"value {parcel.value:.2f} is over its cover of {service.max_value:.2f}"
    if zone is None:
        return f"does not deliver to {parcel.country} {parcel.postcode}".rstrip()
    if price is None:
        return f"no rate for {parcel.weight_g:.0f} g in zone {zone.name}"
    if delivery > latest:
        return f"delivers {delivery.isoformat()}, after the promised {latest.isoformat()}"
    return ""


def choose_service(services: Iterable[Service], parcel: Parcel, promise: Promise,
                   now: datetime, overrides: Iterable[Override] = ()) -> Decision:
    """The cheapest eligible service (ties: sooner delivery, then name); NoServiceFits
    lists why each service was turned down."""
    applied = [o for o in overrides if o.matches(parcel)]
    allowed: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()
    for override in applied:
        if override.hazardous:
            parcel = replace(parcel, hazardous=True)
        if override.only:
            allowed = override.only if allowed is None else allowed & override.only
        excluded |= override.exclude
    latest = promise.deliver_by or add_working_days(
        now.date(), EXPRESS_DAYS.get(promise.service_level, 3))
    considered: list[Considered] = []
    best: tuple[float, date, str, Service] | None = None
    for service in services:
        zone = service.zone_for(parcel.country, parcel.postcode)
        price = service.price(zone.name, parcel.weight_g) if zone else None
        if zone is not None and price is not None:
            price += sum(s.amount for s in service.surcharges if s.applies(zone.name, parcel))
            price = round(price, 2)
        delivery = add_working_days(despatch_day(now, service.cutoff), service.days)
        reason = _reject_reason(service, parcel, allowed, excluded, latest, delivery, zone,
                                price)
        considered.append(Considered(service.key, price, delivery, reason))
        if not reason and price is not None:
            candidate = (price, delivery, service.key, service)
            if best is None or candidate[:3] < best[:3]:
                best = candidate
    if best is None:
        reasons = [f"{c.service}: {c.rejected}" for c in considered] or ["no services set up"]
        raise NoServiceFits(reasons)
    return Decision(best[3], best[0], best[1], tuple(considered),
                    tuple(o.reason for o in applied))


# --- rate cards from configuration ------------------------------------------------------------

def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def services_from_config(document: Mapping[str, Any]) -> list[Service]:
    """Services from a rate-card document (YAML/JSON): zones are shared by name."""
    zones = {name: Zone(name, frozenset(z["countries"]), tuple(
        p.replace(" ", "").upper() for p in z.get("postcode_prefixes", [])))
        for name, z in document.get("zones", {}).items()}
    services = []
    for s in document.get("services", []):
        rates = {zone: tuple((float(b[0]), float(b[1])) for b in bands)
                 for zone, bands in s["rates"].items()}
        dims = s.get("max_dims_mm")
        services.append(Service(
            courier=s["courier"], code=s["code"], days=int(s["days"]),
            cutoff=_time(s.get("cutoff", "17:00")), max_weight_g=float(s["max_weight_g"]),
            zones=tuple(zones[z] for z in s.get("zones", rates.keys())), rates=rates,
            max_dims_mm=(int(dims[0]), int(dims[1]), int(dims[2])) if dims else None,
            surcharges=tuple(Surcharge(
                x["name"], float(x["amount"]), frozenset(x.get("zones", [])),
                float(x.get("min_weight_g", 0)), bool(x.get("hazardous", False)))
                for x in s.get("surcharges", [])),
            hazardous_ok=bool(s.get("hazardous_ok", False)),
            max_value=float(s["max_value"]) if s.get("max_value") is not None else None))
    return services


def overrides_from_config(document: Mapping[str, Any]) -> list[Override]:
    return [Override(reason=o["reason"], channel=o.get("channel"),
                     skus=frozenset(o.get("skus", [])),
                     min_value=float(o["min_value"]) if o.get("min_value") is not None
                     else None, hazardous=bool(o.get("hazardous", False)),
                     only=frozenset(o.get("only", [])), exclude=frozenset(o.get("exclude", [])))
            for o in document.get("overrides", [])]
