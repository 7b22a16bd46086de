"""A hub on a real SQLite database with a small warehouse, signed-webhook secrets, and one
API key of every kind: none, wrong, revoked, each scope, and channel keys bound to a channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.service_layer.api_keys import create_key, revoke_key
from tests.integration.hub.conftest import ADDRESS, LOCATIONS, SKUS

SHOP, WOO, STRIPE = "shpss_security", "wc_security", "whsec_security"
KINDS = ("none", "wrong", "revoked", "channel", "courier", "ops", "device")


@dataclass
class SecureHub:
    hub: Hub
    app: FastAPI
    client: TestClient
    keys: dict[str, str | None] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)  # channel -> an order id

    def headers(self, kind: str) -> dict[str, str]:
        key = self.keys[kind]
        return {} if key is None else {"X-API-Key": key}


def security_settings(database_url: str, **extra: object) -> Settings:
    return Settings(database_url=database_url, site="security",
                    shopify_webhook_secret=SHOP,  # type: ignore[arg-type]
                    woocommerce_webhook_secret=WOO,  # type: ignore[arg-type]
                    stripe_webhook_secret=STRIPE,  # type: ignore[arg-type]
                    **extra)  # type: ignore[arg-type]


def load_warehouse(hub: Hub) -> None:
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 10))
    hub.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))


def order_body(channel: str, ref: str) -> dict[str, object]:
    return {"channel": channel, "channel_ref": ref,
            "lines": [{"sku": "TEE", "qty": 1, "unit_price": "12.50"}],
            "ship_to": ADDRESS, "total": "12.50", "customer_email": "ada@example.com"}


@pytest.fixture(scope="module")
def secure_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureHub]:
    path: Path = tmp_path_factory.mktemp("security") / "hub.sqlite"
    hub = bootstrap(security_settings(f"sqlite:///{path}"))
    load_warehouse(hub)
    keys: dict[str, str | None] = {"none": None, "wrong": "ful_not-a-key-of-this-hub"}
    with hub.uow() as uow:
        for scope in ("channel", "courier", "ops", "device"):
            keys[scope] = create_key(uow, hub.ctx, f"{scope} key", [scope])
        keys["revoked"] = create_key(uow, hub.ctx, "revoked key",
                                     ["channel", "courier", "ops", "device"])
        revoke_key(uow, hub.ctx, "revoked key")
        keys["shopify"] = create_key(uow, hub.ctx, "shopify app", ["channel"], "shopify")
        keys["woocommerce"] = create_key(uow, hub.ctx, "woo plugin", ["channel"],
                                         "woocommerce")
    app = create_app(hub)
    with TestClient(app, raise_server_exceptions=False) as client:
        secure = SecureHub(hub, app, client, keys)
        for channel in ("shopify", "woocommerce"):
            answer = client.post("/orders", json=order_body(channel, f"{channel}-1"),
                                 headers=secure.headers("ops"))
            assert answer.status_code == 201, answer.text
            secure.orders[channel] = answer.json()["id"]
        yield secure
    hub.stop()
