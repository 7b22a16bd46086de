"""A replayed webhook delivery has exactly one effect (the cases not covered by
tests/integration/hub/channels/test_webhooks_api.py: WooCommerce deliveries, with and without
a delivery id, and a Stripe refund replayed after payment)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.adapters.channels.signatures import sign_base64, sign_stripe
from hub.bootstrap import Hub, bootstrap
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.service_layer.api_keys import create_key
from tests.integration.hub.channels.support import map_samples, woo_body
from tests.integration.hub.conftest import ADDRESS
from tests.security.conftest import STRIPE, WOO, load_warehouse, security_settings


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Hub, dict[str, str]]]:
    hub = bootstrap(security_settings(f"sqlite:///{tmp_path / 'hub.sqlite'}"))
    load_warehouse(hub)
    map_samples(hub)
    with hub.uow() as uow:
        ops = {"X-API-Key": create_key(uow, hub.ctx, "ops", ["ops"])}
    with TestClient(create_app(hub)) as client:
        yield client, hub, ops
    hub.stop()


def test_woocommerce_delivery_replayed_has_one_effect(
        api: tuple[TestClient, Hub, dict[str, str]]) -> None:
    client, _hub, ops = api
    body = woo_body().encode()

    def deliver(delivery: str | None) -> dict[str, Any]:
        headers = {"X-WC-Webhook-Signature": sign_base64(WOO, body),
                   "X-WC-Webhook-Topic": "order.created"}
        if delivery is not None:
            headers["X-WC-Webhook-Delivery-ID"] = delivery
        answer = client.post("/channels/woocommerce/webhooks", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    statuses = [deliver("d-7")["status"] for _ in range(3)]
    assert statuses == ["created", "replayed", "replayed"]
    # the same body without a delivery id: the order is already stored, nothing changes
    assert {deliver(None)["status"] for _ in range(2)} <= {"replayed", "duplicate"}
    orders = [o for o in client.get("/orders", headers=ops).json()
              if o["channel"] == "woocommerce"]
    assert len(orders) == 1
    timeline = client.get(f"/orders/{orders[0]['id']}/timeline", headers=ops).json()
    assert [e["name"] for e in timeline].count("order_received") == 1, timeline
    stock = {r["sku"]: r["reserved"] for r in client.get("/stock", headers=ops).json()}
    reserved_once = dict(stock)
    deliver("d-7")
    assert {r["sku"]: r["reserved"] for r in client.get("/stock", headers=ops).json()} \
        == reserved_once


def stripe_event(order_id: str, kind: str, event_id: str) -> bytes:
    return json.dumps({"id": event_id, "type": kind, "data": {"object": {
        "id": "ch_1", "payment_intent": "pi_1", "amount": 1250, "amount_received": 1250,
        "amount_refunded": 1250, "currency": "gbp",
        "metadata": {"order_id": order_id}}}}).encode()


def test_stripe_refund_replayed_has_one_effect(
        api: tuple[TestClient, Hub, dict[str, str]]) -> None:
    client, hub, ops = api
    order_id, _ = hub.handle(commands.CreateOrder(
        channel="phone", channel_ref="PH-9", lines=[commands.NewLine("MUG", 1)],
        ship_to=ADDRESS, total=Decimal("12.50"), payment_status="pending"))

    def send(body: bytes) -> str:
        header = sign_stripe(STRIPE, body, int(time.time()))
        answer = client.post("/channels/stripe/webhooks", content=body,
                             headers={"Stripe-Signature": header})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])

    paid = stripe_event(order_id, "payment_intent.succeeded", "evt_pay")
    refund = stripe_event(order_id, "charge.refunded", "evt_refund")
    assert [send(paid) for _ in range(2)] == ["paid", "replayed"]
    assert [send(refund) for _ in range(3)] == ["refunded", "replayed", "replayed"]
    timeline = client.get(f"/orders/{order_id}/timeline", headers=ops).json()
    names = [e["name"] for e in timeline]
    assert names.count("payment_confirmed") == 1 and names.count("payment_refunded") == 1
    assert client.get(f"/orders/{order_id}", headers=ops).json()["payment_status"] == "refunded"
