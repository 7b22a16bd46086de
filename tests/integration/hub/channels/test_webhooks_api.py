"""Signed webhooks and the channel API on a real uvicorn server, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from hub.adapters.channels.signatures import sign_base64, sign_stripe
from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.integration.hub.channels.support import map_samples, shopify_body, woo_body
from tests.integration.hub.conftest import ADDRESS, LOCATIONS, SKUS

SHOP, SHOP_OLD, WOO, STRIPE = "shpss_new", "shpss_old", "wc_secret", "whsec_test"


@dataclass
class Api:
    url: str
    hub: Hub
    ops: str
    channel: str

    def post(self, path: str, body: bytes, **headers: str) -> httpx.Response:
        return httpx.post(self.url + path, content=body, headers=headers, timeout=10)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers={"X-API-Key": self.ops}, timeout=10)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    hub = bootstrap(Settings(database_url=database_url, site="test",
                             shopify_webhook_secret=SHOP,  # type: ignore[arg-type]
                             shopify_webhook_secret_previous=SHOP_OLD,  # type: ignore[arg-type]
                             woocommerce_webhook_secret=WOO,  # type: ignore[arg-type]
                             stripe_webhook_secret=STRIPE))  # type: ignore[arg-type]
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 10))
    hub.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))
    server = ApiServer(create_app(hub), "127.0.0.1", free_port())
    server.start()
    with hub.uow() as uow:
        ops = create_key(uow, hub.ctx, "ops", ["ops"])
        channel = create_key(uow, hub.ctx, "channel", ["channel"])
    yield Api(server.url, hub, ops, channel)
    server.stop()
    hub.stop()


def shopify(api: Api, body: bytes, secret: str = SHOP, webhook_id: str = "w-1",
            topic: str = "orders/create", **extra: str) -> httpx.Response:
    headers = {"X-Shopify-Hmac-Sha256": sign_base64(secret, body),
               "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id,
               "Content-Type": "application/json", **extra}
    return api.post("/channels/shopify/webhooks", body, **headers)


def orders(api: Api) -> list[dict[str, object]]:
    response = api.get("/orders")
    assert response.status_code == 200
    result: list[dict[str, object]] = response.json()
    return result


def test_shopify_signatures(api: Api) -> None:
    map_samples(api.hub)
    body = shopify_body()
    tampered = body.replace(b'"quantity": 1', b'"quantity": 9', 1)
    bad = [
        api.post("/channels/shopify/webhooks", tampered,
                 **{"X-Shopify-Hmac-Sha256": sign_base64(SHOP, body),
                    "X-Shopify-Topic": "orders/create"}),
        shopify(api, body, secret="not-the-secret"),
        api.post("/channels/shopify/webhooks", body, **{"X-Shopify-Topic": "orders/create"}),
    ]
    for response in bad:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    assert "missing" in bad[2].json()["detail"]
    assert orders(api) == []  # nothing happened
    accepted = shopify(api, body, secret=SHOP_OLD)  # the rotated-out secret still works
    assert accepted.status_code == 200 and accepted.json()["status"] == "created"
    replay = shopify(api, body, secret=SHOP)
    assert replay.json()["status"] == "replayed"
    retry = shopify(api, body, webhook_id="w-2", topic="orders/updated")
    assert retry.json()["status"] == "duplicate"
    (order,) = orders(api)
    assert order["channel_ref"] == "450789469" and order["total"] == "409.94"
    assert [(line["sku"], line["qty"]) for line in order["lines"]] == [  # type: ignore[union-attr]
        ("MUG", 1), ("TEE", 1), ("TEE", 1)]


def test_woocommerce_signature_and_update_after_release(api: Api) -> None:
    map_samples(api.hub)
    body = woo_body().encode()

    def woo(payload: bytes, delivery: str, secret: str = WOO) -> httpx.Response:
        return api.post("/channels/woocommerce/webhooks", payload, **{
            "X-WC-Webhook-Signature": sign_base64(secret, payload),
            "X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": delivery})

    assert woo(body, "1", secret="wrong").status_code == 401
    ping = api.post("/channels/woocommerce/webhooks", b"webhook_id=17")
    assert ping.status_code == 200 and ping.json()["status"] == "ignored"
    unsigned = api.post("/channels/woocommerce/webhooks", body,
                        **{"X-WC-Webhook-Topic": "order.created"})
    assert unsigned.status_code == 401 and "missing" in unsigned.json()["detail"]
    created = woo(body, "1").json()
    assert created["status"] == "created"
    release = httpx.post(f"{api.url}/orders/{created['order_id']}/release",
                         headers={"X-API-Key": api.ops})
    assert release.status_code == 200
    changed = json.loads(body)
    changed["line_items"][1]["quantity"] = 3
    changed["date_modified_gmt"] = "2017-03-24T09:00:00"
    flagged = woo(json.dumps(changed).encode(), "2").json()
    assert flagged["status"] == "flagged"
    timeline = httpx.get(f"{api.url}/orders/{created['order_id']}/timeline",
                         headers={"X-API-Key": api.ops}).json()
    flags = [e for e in timeline if e["name"] == "channel_update_flagged"]
    assert len(flags) == 1 and flags[0]["outcome"] == "update_after_release"
    assert flags[0]["details"]["changes"]["lines"] == [["MUG", 3], ["TEE", 2]]


def test_quarantine_fix_and_reprocess_over_the_api(api: Api) -> None:
    held = shopify(api, shopify_body()).json()
    assert held["status"] == "quarantined"
    listed = api.get("/channels/quarantine").json()
    assert [(e["channel_ref"], e["status"]) for e in listed] == [("450789469", "open")]
    assert "IPOD2008RED" in listed[0]["reason"]
    for key, sku in [("IPOD2008GREEN", "MUG"), ("39072856", "MUG"), ("49148385", "TEE"),
                     ("457924702", "TEE")]:  # by channel SKU or by Shopify variant id
        response = httpx.post(f"{api.url}/channels/listings", headers={"X-API-Key": api.ops},
                              json={"channel": "shopify", "listing_key": key, "sku": sku})
        assert response.status_code == 204
    unknown = httpx.post(f"{api.url}/channels/listings", headers={"X-API-Key": api.ops},
                         json={"channel": "shopify", "listing_key": "x", "sku": "NOPE"})
    assert unknown.status_code == 404
    stock = httpx.post(f"{api.url}/channels/stock-listings", headers={"X-API-Key": api.ops},
                       json={"channel": "shopify", "listing_key": "808950810", "sku": "MUG",
                             "buffer": 2})
    assert stock.status_code == 204
    negative = httpx.post(f"{api.url}/channels/stock-listings", headers={"X-API-Key": api.ops},
                          json={"channel": "shopify", "listing_key": "1", "sku": "MUG",
                                "buffer": -1})
    assert negative.status_code == 422 and "buffer" in negative.json()["detail"]
    done = httpx.post(f"{api.url}/channels/quarantine/{listed[0]['id']}/reprocess",
                      headers={"X-API-Key": api.ops}).json()
    assert done["status"] == "created"
    assert api.get("/channels/quarantine").json() == []
    assert len(orders(api)) == 1


def test_csv_import_over_the_api(api: Api) -> None:
    template = httpx.get(f"{api.url}/channels/csv/template")
    assert template.status_code == 200 and template.text.startswith("order_ref,sku,")
    result = httpx.post(f"{api.url}/channels/csv", content=template.text.encode(),
                        headers={"X-API-Key": api.channel, "Content-Type": "text/csv"}).json()
    assert [o["status"] for o in result["orders"]] == ["created"] and result["errors"] == []
    bad = httpx.post(f"{api.url}/channels/csv", content=b"sku,qty\nMUG,1\n",
                     headers={"X-API-Key": api.channel})
    assert bad.status_code == 422 and "order_ref" in bad.json()["detail"]


def stripe_event(order_id: str, kind: str, amount: int, event_id: str) -> bytes:
    return json.dumps({"id": event_id, "type": kind, "data": {"object": {
        "id": "pi_1", "object": "payment_intent", "amount": amount, "amount_received":
        amount if kind.endswith("succeeded") else 0, "currency": "gbp",
        "metadata": {"order_id": order_id},
        "last_payment_error": {"message": "Your card was declined."}
        if kind.endswith("failed") else None}}}).encode()


def test_stripe_payments_release_the_hold(api: Api) -> None:
    order_id, _ = api.hub.handle(commands.CreateOrder(
        channel="phone", channel_ref="PH-1", lines=[commands.NewLine("MUG", 1)],
        ship_to=ADDRESS, total=Decimal("12.50"),
        payment_status="pending"))

    def stripe(body: bytes, at: int | None = None, secret: str = STRIPE) -> httpx.Response:
        header = sign_stripe(secret, body, int(time.time()) if at is None else at)
        return api.post("/channels/stripe/webhooks", body, **{"Stripe-Signature": header})

    failed = stripe_event(order_id, "payment_intent.payment_failed", 1250, "evt_1")
    assert stripe(failed, at=int(time.time()) - 301).status_code == 401  # stale
    assert stripe(failed, secret="whsec_other").status_code == 401
    assert api.post("/channels/stripe/webhooks", failed).status_code == 401
    tampered_header = sign_stripe(STRIPE, failed, int(time.time()))
    assert api.post("/channels/stripe/webhooks", failed.replace(b"1250", b"1", 1),
                    **{"Stripe-Signature": tampered_header}).status_code == 401
    assert stripe(failed).json()["status"] == "failed"
    assert stripe(failed).json()["status"] == "replayed"
    release = httpx.post(f"{api.url}/orders/{order_id}/release", headers={"X-API-Key": api.ops})
    assert release.status_code == 409 and "waiting for payment" in release.json()["detail"]
    short = stripe(stripe_event(order_id, "payment_intent.succeeded", 1000, "evt_2"))
    assert short.json()["status"] == "mismatch"
    paid = stripe(stripe_event(order_id, "payment_intent.succeeded", 1250, "evt_3"))
    assert paid.json()["status"] == "paid"
    timeline = httpx.get(f"{api.url}/orders/{order_id}/timeline",
                         headers={"X-API-Key": api.ops}).json()
    payments = [(e["name"], e["outcome"]) for e in timeline if e["step"] == 2]
    assert payments == [("payment_pending", "payment_pending"),
                        ("payment_failed", "payment_failed"),
                        ("payment_mismatch", "amount_mismatch"), ("payment_confirmed", "ok")]
    release = httpx.post(f"{api.url}/orders/{order_id}/release", headers={"X-API-Key": api.ops})
    assert release.status_code == 200
    refund = json.dumps({"id": "evt_4", "type": "charge.refunded", "data": {"object": {
        "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 1250,
        "currency": "gbp", "metadata": {"order_id": order_id}}}}).encode()
    assert stripe(refund).json()["status"] == "refunded"
    last = httpx.get(f"{api.url}/orders/{order_id}/timeline",
                     headers={"X-API-Key": api.ops}).json()[-1]
    assert (last["name"], last["details"]["amount"], last["details"]["order_status"]) == (
        "payment_refunded", "12.5", "released")  # recorded; the released order is not undone
    ignored = stripe(json.dumps({"id": "evt_5", "type": "customer.created",
                                 "data": {"object": {}}}).encode())
    assert ignored.json()["status"] == "ignored"
