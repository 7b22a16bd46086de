"""Every route of the hub's API x every kind of key: no request that the route's policy does
not allow gets a 2xx; each is refused with 401 (no usable key) or 403 (wrong scope).

The routes come from the application itself, so a new endpoint is covered automatically:
it fails ``test_every_route_has_a_policy`` until its policy is written down here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.security.conftest import KINDS, SecureHub, order_body

OPS = {"ops"}
CHANNEL = {"channel", "ops"}
DEVICE = {"device", "ops"}
COURIER = {"courier", "ops"}
PUBLIC = "public"  # no key: health, metrics, docs, the CSV template, static dashboard files
SIGNED = "signed"  # webhooks: the provider's signature instead of a key

POLICY: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("POST", "/orders"): CHANNEL,
    ("GET", "/orders"): CHANNEL,
    ("POST", "/orders/batch"): CHANNEL,
    ("GET", "/orders/{order_id}"): CHANNEL,
    ("POST", "/orders/{order_id}/release"): OPS,
    ("GET", "/orders/{order_id}/timeline"): CHANNEL,
    ("GET", "/orders/{order_id}/packing-slip"): OPS,
    ("POST", "/skus"): OPS,
    ("GET", "/skus"): CHANNEL,
    ("POST", "/locations"): OPS,
    ("GET", "/locations"): OPS,
    ("POST", "/stock/receive"): OPS,
    ("POST", "/stock/adjust"): OPS,
    ("GET", "/stock"): CHANNEL,
    ("GET", "/devices"): DEVICE,
    ("GET", "/devices/{device_id}"): DEVICE,
    ("GET", "/analytics/pop"): OPS,
    ("GET", "/analytics/pop/orders"): OPS,
    ("GET", "/analytics/steps"): OPS,
    ("GET", "/analytics/steps/trend"): OPS,
    ("GET", "/analytics/errors"): OPS,
    ("GET", "/analytics/skipped"): OPS,
    ("GET", "/analytics/skipped/orders"): OPS,
    ("GET", "/analytics/report"): OPS,
    ("GET", "/dashboard"): PUBLIC,
    ("GET", "/dashboard/"): PUBLIC,
    ("GET", "/dashboard/static/{name}"): PUBLIC,
    ("GET", "/dashboard/api/access"): PUBLIC,
    ("GET", "/dashboard/api/floor"): OPS,
    ("GET", "/dashboard/api/report"): OPS,
    ("GET", "/dashboard/stream"): OPS,
    ("POST", "/routes"): OPS,
    ("GET", "/layout"): OPS,
    ("PUT", "/layout"): OPS,
    ("POST", "/waves"): OPS,
    ("GET", "/waves"): OPS,
    ("GET", "/waves/{wave_id}"): OPS,
    ("POST", "/channels/shopify/webhooks"): SIGNED,
    ("POST", "/channels/woocommerce/webhooks"): SIGNED,
    ("POST", "/channels/stripe/webhooks"): SIGNED,
    ("POST", "/channels/{channel}/orders"): CHANNEL,
    ("POST", "/channels/csv"): CHANNEL,
    ("GET", "/channels/csv/template"): PUBLIC,
    ("GET", "/channels/quarantine"): OPS,
    ("POST", "/channels/quarantine/{entry_id}/reprocess"): OPS,
    ("POST", "/channels/listings"): OPS,
    ("GET", "/channels/listings"): OPS,
    ("POST", "/channels/stock-listings"): OPS,
    ("POST", "/manifests"): OPS,
    ("GET", "/manifests/{manifest_id}"): DEVICE,
    ("POST", "/manifests/{manifest_id}/scans"): DEVICE,
    ("POST", "/manifests/{manifest_id}/dispatch"): OPS,
    ("POST", "/tracking/events"): COURIER,
    ("POST", "/tracking/poll"): OPS,
    ("POST", "/shipments/{shipment_id}/reprint"): OPS,
    ("GET", "/shipments/{shipment_id}/label"): OPS,
    ("POST", "/orders/{order_id}/complaints"): OPS,
    ("GET", "/orders/{order_id}/complaints"): OPS,
    ("POST", "/complaints/{complaint_id}/solution"): OPS,
    ("POST", "/orders/{order_id}/returns"): OPS,
    ("GET", "/returns/{rma}"): DEVICE,
    ("POST", "/returns/{rma}/receive"): DEVICE,
    ("POST", "/returns/{rma}/inspection"): OPS,
    ("POST", "/orders/{order_id}/refunds"): OPS,
    ("POST", "/orders/{order_id}/replacements"): OPS,
    ("GET", "/analytics/complaint-causes"): OPS,
    ("GET", "/messages/templates"): OPS,
    ("POST", "/messages/preview"): OPS,
    ("GET", "/orders/{order_id}/messages"): OPS,
    ("POST", "/messages/opt-outs"): CHANNEL,
    ("GET", "/messages/opt-outs"): OPS,
    ("DELETE", "/messages/opt-outs/{email}"): CHANNEL,
    ("POST", "/messages/review-requests"): OPS,
    ("GET", "/keys"): OPS,
    ("POST", "/keys"): OPS,
    ("POST", "/keys/{key_id}/rotate"): OPS,
    ("POST", "/keys/{key_id}/revoke"): OPS,
}
STREAMS = {("GET", "/dashboard/stream")}  # an allowed key would hold the stream open
SCOPES_OF = {"channel": {"channel"}, "courier": {"courier"}, "ops": {"ops"},
             "device": {"device"}, "none": set(), "wrong": set(), "revoked": set(),
             "shopify": {"channel"}, "woocommerce": {"channel"}}


def app_routes(secure: SecureHub) -> list[tuple[str, str]]:
    """(method, path template) of every route the application serves, the routes of included
    routers too; checked against the OpenAPI document."""
    try:  # FastAPI keeps included routers as one node each and flattens them on demand
        from fastapi.routing import iter_route_contexts
        routes: list[Any] = list(iter_route_contexts(secure.app.routes))
    except ImportError:
        routes = list(secure.app.routes)
    found = set()
    for route in routes:
        for method in set(getattr(route, "methods", None) or ()) - {"HEAD", "OPTIONS"}:
            found.add((method, route.path))
    documented = {(method.upper(), path)
                  for path, item in secure.app.openapi()["paths"].items() for method in item}
    assert documented <= found, f"documented but not found: {documented - found}"
    return sorted(found)


def concrete(path: str, secure: SecureHub, other_channel: str = "woocommerce") -> str:
    """A path with real object ids where the hub has them (another channel's order)."""
    values = {"order_id": secure.orders[other_channel], "channel": other_channel,
              "name": "index.html"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x1"), path)


def request(secure: SecureHub, method: str, path: str, kind: str) -> int:
    body = order_body("woocommerce", "matrix-1") if path in ("/orders", "/channels/woocommerce/"
                                                             "orders") else {}
    answer = secure.client.request(method, path, headers=secure.headers(kind),
                                   json=body if method in ("POST", "PUT") else None)
    assert answer.status_code < 500, f"{method} {path} as {kind}: {answer.text}"
    return answer.status_code


def test_every_route_has_a_policy(secure_hub: SecureHub) -> None:
    missing = [f"{m} {p}" for m, p in app_routes(secure_hub) if (m, p) not in POLICY]
    assert not missing, f"routes without an authorisation policy in this test: {missing}"
    served = set(app_routes(secure_hub))
    unserved = [f"{m} {p}" for m, p in POLICY if (m, p) not in served]
    print(f"{len(served)} routes; policies of routes this build does not serve: {unserved}")
    assert len(app_routes(secure_hub)) >= 60


@pytest.mark.parametrize("kind", KINDS)
def test_no_unauthorised_2xx(secure_hub: SecureHub, kind: str) -> None:
    """One kind of key against every route: refused wherever the policy does not allow it,
    never refused for lack of rights where it does."""
    counts = {"requests": 0, "refused": 0, "allowed": 0, "unauthorised_2xx": 0}
    wrong: list[str] = []
    for method, template in app_routes(secure_hub):
        policy = POLICY[(method, template)]
        if policy == PUBLIC:
            continue
        path = concrete(template, secure_hub)
        if policy == SIGNED:
            allowed = False  # no signature: whatever the key
        else:
            assert isinstance(policy, set)
            allowed = bool(SCOPES_OF[kind] & policy)
        if allowed and (method, template) in STREAMS:
            continue
        status = request(secure_hub, method, path, kind)
        counts["requests"] += 1
        if allowed:
            counts["allowed"] += 1
            if status in (401, 403):
                wrong.append(f"{method} {path}: {status}, expected to be let through")
            continue
        if 200 <= status < 300:
            counts["unauthorised_2xx"] += 1
        else:
            counts["refused"] += 1
        expected = 401 if kind in ("none", "wrong", "revoked") or policy == SIGNED else 403
        if status != expected:
            wrong.append(f"{method} {path}: {status}, expected {expected}")
    print(f"key {kind}: {counts}")
    assert counts["unauthorised_2xx"] == 0 and not wrong, wrong


@pytest.mark.parametrize("kind", ["shopify", "woocommerce"])
def test_bound_key_never_reaches_another_channels_order(secure_hub: SecureHub,
                                                         kind: str) -> None:
    """Every route that names an order or a channel, with the other channel's ids."""
    other = "woocommerce" if kind == "shopify" else "shopify"
    checked = 0
    for method, template in app_routes(secure_hub):
        if "{order_id}" not in template and "{channel}" not in template:
            continue
        if (method, template) in STREAMS:
            continue
        path = concrete(template, secure_hub, other)
        status = request_as_channel(secure_hub, method, path, kind, other)
        checked += 1
        assert not 200 <= status < 300, f"{kind} key got {status} on {method} {path}"
    assert checked >= 5


def request_as_channel(secure: SecureHub, method: str, path: str, kind: str,
                       other: str) -> int:
    body = order_body(other, "cross-1") if method == "POST" else None
    answer = secure.client.request(method, path, headers=secure.headers(kind), json=body)
    assert answer.status_code < 500, answer.text
    return answer.status_code


def test_bound_key_sees_and_changes_only_its_channel(secure_hub: SecureHub) -> None:
    client, shop = secure_hub.client, secure_hub.headers("shopify")
    woo_order = secure_hub.orders["woocommerce"]
    listed = client.get("/orders", headers=shop)
    assert listed.status_code == 200
    assert {o["channel"] for o in listed.json()} == {"shopify"}
    assert secure_hub.orders["shopify"] in {o["id"] for o in listed.json()}
    unbound = client.get("/orders", headers=secure_hub.headers("channel")).json()
    assert {o["channel"] for o in unbound} >= {"shopify", "woocommerce"}
    assert client.get(f"/orders/{woo_order}", headers=shop).status_code == 404
    assert client.get(f"/orders/{woo_order}/timeline", headers=shop).status_code == 404
    own = client.get(f"/orders/{secure_hub.orders['shopify']}", headers=shop)
    assert own.status_code == 200 and own.json()["channel"] == "shopify"
    refused = client.post("/orders", json=order_body("woocommerce", "w-by-shop"), headers=shop)
    assert refused.status_code == 403 and "bound to channel 'shopify'" in refused.json()["detail"]
    assert client.post("/channels/woocommerce/orders", content=b"{}",
                       headers=shop).status_code == 403
    assert client.post("/channels/csv", content=b"order_ref\n", headers=shop).status_code == 403
    for method, path in (("GET", "/channels/listings"), ("POST", "/channels/listings"),
                         ("POST", "/channels/stock-listings")):
        assert client.request(method, path, headers=shop, json={
            "channel": "woocommerce", "listing_key": "1", "sku": "MUG"}).status_code == 403
    batch = client.post("/orders/batch", headers=shop, json={"orders": [
        order_body("woocommerce", "w-batch-by-shop"), order_body("shopify", "s-batch-by-shop")]})
    assert batch.status_code == 200
    assert [r["status"] for r in batch.json()["results"]] == ["refused", "created"]
    assert "bound to channel 'shopify'" in batch.json()["results"][0]["detail"]
    created = client.post("/orders", json=order_body("shopify", "s-by-shop"), headers=shop)
    assert created.status_code == 201 and created.json()["channel"] == "shopify"
    ops_view = client.get(f"/orders/{woo_order}", headers=secure_hub.headers("ops"))
    assert ops_view.status_code == 200 and ops_view.json()["channel"] == "woocommerce"
    woo_view = client.get("/orders", headers=secure_hub.headers("woocommerce")).json()
    assert woo_order in {o["id"] for o in woo_view}
    assert {o["channel"] for o in woo_view} == {"woocommerce"}
