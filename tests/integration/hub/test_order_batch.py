"""POST /orders/batch: per-order results; bad orders are reported and cost nothing."""

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


def body(ref: str, sku: str = "TEE", qty: int = 1) -> dict[str, object]:
    return {"channel": "shopify", "channel_ref": ref, "ship_to": ADDRESS,
            "lines": [{"sku": sku, "qty": qty, "unit_price": "12.50"}]}


@pytest.fixture
def api(warehouse: Hub) -> Iterator[httpx.Client]:
    server = ApiServer(create_app(warehouse), "127.0.0.1", free_port())
    server.start()
    with warehouse.uow() as uow:
        key = create_key(uow, warehouse.ctx, "shop", ["channel"])
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as client:
        yield client
    server.stop()


def test_batch_stores_the_good_orders_and_explains_the_bad(api: httpx.Client,
                                                           warehouse: Hub) -> None:
    api.post("/orders", json=body("B-0")).raise_for_status()
    orders = [body("B-1"), body("B-2", qty=0), body("B-3", sku="NOPE"), body("B-0"),
              {"channel": "shopify"}, body("B-4", sku="MUG", qty=2)]
    answer = api.post("/orders/batch", json={"orders": orders})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert [r["status"] for r in out["results"]] == [
        "created", "invalid", "refused", "existing", "invalid", "created"]
    assert (out["created"], out["existing"], out["failed"]) == (2, 1, 3)
    assert out["results"][1]["detail"].startswith("lines.0.qty")
    assert "NOPE" in out["results"][2]["detail"]
    assert {e["where"] for e in out["results"][4]["errors"]} >= {"channel_ref", "lines"}
    stored = {o["channel_ref"] for o in api.get("/orders").json()}
    assert stored == {"B-0", "B-1", "B-4"}


def test_an_empty_or_oversized_batch_is_a_problem(api: httpx.Client) -> None:
    empty = api.post("/orders/batch", json={"orders": []})
    assert empty.status_code == 422
    assert empty.headers["content-type"] == "application/problem+json"
    too_many = api.post("/orders/batch", json={"orders": [body(f"X-{n}") for n in range(1001)]})
    assert too_many.status_code == 422 and "orders" in too_many.json()["detail"]
