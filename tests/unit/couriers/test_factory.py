"""Which courier the hub books with, from its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.couriers.factory import build_courier, ledger_url
from hub.adapters.couriers.idempotent import IdempotentCourier
from hub.adapters.couriers.manual import ManualCourier
from hub.adapters.couriers.royalmail import RoyalMailClickAndDrop
from hub.adapters.couriers.ruled import RulesCourier
from hub.config import Settings

CARD = Path(__file__).parent / "rate_card.yaml"


def test_no_rate_card_means_the_manual_courier() -> None:
    assert isinstance(build_courier(Settings()), ManualCourier)


def test_rate_card_with_network_couriers_behind_the_ledger(tmp_path: Path) -> None:
    settings = Settings(
        courier_rates=str(CARD), courier_ledger_url=f"sqlite:///{tmp_path / 'l.sqlite'}",
        couriers={name: {"base_url": "http://127.0.0.1:9"} for name in
                  ("royalmail", "dpd", "dhl")})
    courier = build_courier(settings)
    assert isinstance(courier, RulesCourier)
    royalmail = courier.couriers["royalmail"]
    assert isinstance(royalmail, IdempotentCourier)
    assert isinstance(royalmail.inner, RoyalMailClickAndDrop)
    assert isinstance(courier.couriers["manual"], ManualCourier)
    assert (tmp_path / "l.sqlite").exists()


def test_rate_card_naming_an_unconfigured_courier_fails_at_start(tmp_path: Path) -> None:
    settings = Settings(courier_rates=str(CARD),
                        courier_ledger_url=f"sqlite:///{tmp_path / 'l.sqlite'}")
    with pytest.raises(ValueError, match=r"not configured: \['dhl', 'dpd', 'royalmail'\]"):
        build_courier(settings)


def test_unknown_courier_is_refused(tmp_path: Path) -> None:
    settings = Settings(courier_rates=str(CARD), couriers={"pigeon": {}},
                        courier_ledger_url=f"sqlite:///{tmp_path / 'l.sqlite'}")
    with pytest.raises(ValueError, match="unknown courier 'pigeon'"):
        build_courier(settings)


@pytest.mark.parametrize(("database", "ledger"), [
    ("sqlite:///fulfil.sqlite", "sqlite:///fulfil-couriers.sqlite"),
    ("sqlite:////var/lib/hub.db", "sqlite:////var/lib/hub.db-couriers"),
    ("postgresql+psycopg://db/fulfil", "postgresql+psycopg://db/fulfil"),
])
def test_ledger_database(database: str, ledger: str) -> None:
    assert ledger_url(Settings(database_url=database)) == ledger
