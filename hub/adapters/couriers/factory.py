"""Build the hub's courier from settings: the manual courier when no rate cards are set up,
otherwise the rules over the configured couriers (network ones behind the booking ledger)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from hub.adapters.couriers.base import Courier
from hub.adapters.couriers.dhl import DhlExpress
from hub.adapters.couriers.dpd import DpdUk
from hub.adapters.couriers.easypost import EasyPost
from hub.adapters.couriers.idempotent import IdempotentCourier
from hub.adapters.couriers.ledger import BookingLedger
from hub.adapters.couriers.manual import ManualCourier
from hub.adapters.couriers.royalmail import RoyalMailClickAndDrop
from hub.adapters.couriers.ruled import RulesCourier
from hub.adapters.couriers.ups import Ups
from hub.config import Settings
from hub.domain.courier_rules import overrides_from_config, services_from_config
from hub.domain.tracking_formats import TrackingValidator, load_formats

NETWORK_ADAPTERS: dict[str, Callable[..., Courier]] = {
    "royalmail": RoyalMailClickAndDrop, "dpd": DpdUk, "ups": Ups, "dhl": DhlExpress,
    "easypost": EasyPost,
}


def ledger_url(settings: Settings) -> str:
    """The ledger's database. It commits while a handler's transaction is open, which SQLite
    (one writer) can't do on the same file: there it defaults to a sibling file."""
    if settings.courier_ledger_url:
        return settings.courier_ledger_url
    url = settings.database_url
    if url.startswith("sqlite:///") and url.endswith(".sqlite"):
        return url[: -len(".sqlite")] + "-couriers.sqlite"
    if url.startswith("sqlite"):
        return url + "-couriers"
    return url


def build_courier(settings: Settings, ledger: BookingLedger | None = None) -> Courier:
    if not settings.courier_rates:
        return ManualCourier()
    document: dict[str, Any] = yaml.safe_load(
        Path(settings.courier_rates).read_text(encoding="utf-8")) or {}
    if ledger is None:
        from hub.adapters import migrate
        from hub.adapters.db import make_engine

        engine = make_engine(ledger_url(settings))
        migrate.upgrade(engine)
        ledger = BookingLedger(engine)
    couriers: dict[str, Courier] = {"manual": ManualCourier()}
    for name, options in settings.couriers.items():
        if name not in NETWORK_ADAPTERS:
            raise ValueError(f"unknown courier {name!r}; known: {sorted(NETWORK_ADAPTERS)}")
        options = {"timeout_s": settings.courier_timeout_s, **options}
        couriers[name] = IdempotentCourier(NETWORK_ADAPTERS[name](**options), ledger,
                                           attempts=settings.courier_booking_attempts)
    validator = None
    if settings.tracking_formats_dir:
        validator = TrackingValidator(load_formats(sorted(
            Path(settings.tracking_formats_dir).glob("*tracking_number_format*.json"))))
    zone = ZoneInfo(settings.courier_timezone)
    return RulesCourier(services_from_config(document), overrides_from_config(document),
                        couriers, ship_from=settings.ship_from, validator=validator,
                        now=lambda: datetime.now(zone))
