"""The HTTP API on a real server: auth scopes, bad input, idempotent orders."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.integration.hub.conftest import ADDRESS


@pytest.fixture
def api(warehouse: Hub) -> Iterator[tuple[str, dict[str, str]]]:
    server = ApiServer(create_app(warehouse), "127.0.0.1", free_port())
    server.start()
    with warehouse.uow() as uow:
        keys = {scope: create_key(uow, warehouse.ctx, f"{scope} key", [scope])
                for scope in ("ops", "channel", "device")}
    yield server.url, keys
    server.stop()


def order_body(ref: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"channel": "shopify", "channel_ref": ref,
                               "lines": [{"sku": "TEE", "qty": 2, "unit_price": "12.50"}],
                               "ship_to": ADDRESS, "total": "25.00",
                               "customer_email": "ada@example.com"}
    body.update(changes)
    return body


def client(url: str, key: str | None) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-API-Key": key} if key else {}, timeout=10)


def test_keys_and_scopes(api: tuple[str, dict[str, str]]) -> None:
    url, keys = api
    anonymous = client(url, None).get("/orders")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert "API key is required" in anonymous.json()["detail"]
    assert client(url, "ful_not-a-key").get("/orders").status_code == 401
    forbidden = client(url, keys["device"]).post("/orders", json=order_body("S-0"))
    assert forbidden.status_code == 403 and "channel or ops" in forbidden.json()["detail"]
    channel = client(url, keys["channel"])
    assert channel.post("/orders", json=order_body("S-1")).status_code == 201
    order_id = channel.get("/orders").json()[0]["id"]
    assert channel.post(f"/orders/{order_id}/release").status_code == 403
    bearer = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys['ops']}"})
    assert bearer.post(f"/orders/{order_id}/release").status_code == 200
    assert client(url, keys["device"]).get("/devices").status_code == 200


def test_order_posted_twice_is_stored_once(api: tuple[str, dict[str, str]]) -> None:
    url, keys = api
    http = client(url, keys["channel"])
    first = http.post("/orders", json=order_body("6090462601448"))
    second = http.post("/orders", json=order_body("6090462601448"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert first.json()["channel_ref"] == "6090462601448"
    assert first.json()["total"] == "25.00"
    assert len(http.get("/orders").json()) == 1


@pytest.mark.parametrize(("changes", "where"), [
    ({"lines": []}, "body.lines"),
    ({"lines": [{"sku": "TEE", "qty": 0}]}, "body.lines.0.qty"),
    ({"ship_to": {**ADDRESS, "country": "United Kingdom"}}, "body.ship_to.country"),
    ({"currency": "pounds"}, "body.currency"),
    ({"customer_email": "not-an-address"}, "body.customer_email"),
    ({"surprise": 1}, "body.surprise"),
])
def test_bad_order_gets_422_with_where_and_stores_nothing(
        api: tuple[str, dict[str, str]], changes: dict[str, object], where: str) -> None:
    url, keys = api
    http = client(url, keys["ops"])
    response = http.post("/orders", json=order_body("BAD-1", **changes))
    assert response.status_code == 422
    assert response.json()["detail"].startswith(where)
    assert http.get("/orders").json() == []


def test_domain_errors_are_problems(api: tuple[str, dict[str, str]]) -> None:
    url, keys = api
    http = client(url, keys["ops"])
    unknown_sku = http.post("/orders", json=order_body(
        "E-1", lines=[{"sku": "NOPE", "qty": 1}]))
    assert unknown_sku.status_code == 422 and "NOPE" in unknown_sku.json()["detail"]
    missing = http.get("/orders/ord_missing")
    assert missing.status_code == 404 and "ord_missing" in missing.json()["detail"]
    big = http.post("/orders", json=order_body("E-2", lines=[{"sku": "TEE", "qty": 11}]))
    order_id = big.json()["id"]
    refused = http.post(f"/orders/{order_id}/release")
    assert refused.status_code == 409 and "TEE" in refused.json()["detail"]
    assert http.get("/stock", params={"sku": "TEE"}).json() == [
        {"sku": "TEE", "location": "A01-02-A", "on_hand": 10, "reserved": 0, "available": 10}]
    again = http.post("/skus", json={"sku": "TEE", "name": "x", "barcode": "123",
                                     "unit_weight_g": 1})
    assert again.status_code == 409
    too_much = http.post("/stock/adjust", json={"sku": "TEE", "location": "A01-02-A",
                                                "delta": -11, "reason": "count"})
    assert too_much.status_code == 409
    assert http.get("/stock", params={"sku": "TEE"}).json()[0]["on_hand"] == 10


def test_timeline_and_docs(api: tuple[str, dict[str, str]]) -> None:
    url, keys = api
    http = client(url, keys["ops"])
    order_id = http.post("/orders", json=order_body("T-1")).json()["id"]
    http.post(f"/orders/{order_id}/release").raise_for_status()
    steps = [(e["step"], e["name"]) for e in http.get(f"/orders/{order_id}/timeline").json()]
    assert steps == [(1, "order_received"), (2, "payment_confirmed"), (4, "order_recorded"),
                     (5, "order_released")]
    assert http.get("/docs").status_code == 200
    assert "/orders/{order_id}/release" in http.get("/openapi.json").json()["paths"]
