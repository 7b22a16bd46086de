"""Pick routes through the API and in released pick tasks, with a layout file on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.integration.hub.conftest import order

LAYOUT = "aisles: 4\nbays_per_block: 10\nlevels: 2\ndepot_aisle: A01\n"


def _serve(hub: Hub) -> Iterator[httpx.Client]:
    server = ApiServer(create_app(hub), "127.0.0.1", free_port())
    server.start()
    with hub.uow() as uow:
        key = create_key(uow, hub.ctx, "ops key", ["ops"])
    yield httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10)
    server.stop()


@pytest.fixture
def layout_file(tmp_path: Path) -> Path:
    path = tmp_path / "layout.yaml"
    path.write_text(LAYOUT)
    return path


@pytest.fixture
def routed_hub(database_url: str, layout_file: Path) -> Iterator[Hub]:
    instance = bootstrap(Settings(database_url=database_url, site="test",
                                  layout_path=str(layout_file)))
    yield instance
    instance.stop()


@pytest.fixture
def http(routed_hub: Hub) -> Iterator[httpx.Client]:
    yield from _serve(routed_hub)


def test_route_a_pick_list(http: httpx.Client) -> None:
    codes = ["A04-02-A", "A01-09-B", "A02-05-A", "A01-02-A"]
    body = http.post("/routes", json={"locations": codes}).json()
    assert sorted(stop["location"] for stop in body["stops"]) == sorted(codes)
    legs = [stop["leg_m"] for stop in body["stops"]]
    assert body["total_m"] == pytest.approx(sum(legs) + body["return_leg_m"])
    assert body["stops"][-1]["cumulative_m"] == pytest.approx(sum(legs))
    assert body["method"] == "single_block"
    s_shape = http.post("/routes", json={"locations": codes, "method": "s_shape"}).json()
    assert body["total_m"] <= s_shape["total_m"]


@pytest.mark.parametrize(("codes", "status", "reason"), [
    (["A01-02-A", "A09-01-A"], 404, "aisle A09"),
    (["A01-02-Z"], 404, "level Z"),
    (["shelf 4"], 422, "not of the form"),
])
def test_bad_locations_get_a_clear_4xx(http: httpx.Client, codes: list[str], status: int,
                                       reason: str) -> None:
    response = http.post("/routes", json={"locations": codes})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert reason in response.json()["detail"]


def test_layout_get_and_put_keep_the_old_layout_on_error(http: httpx.Client,
                                                         layout_file: Path) -> None:
    assert http.get("/layout").json()["aisles"] == ["A01", "A02", "A03", "A04"]
    headers = {"content-type": "application/yaml"}
    bad = http.put("/layout", content="aisles: 0\nbays_per_block: 3\n", headers=headers)
    assert bad.status_code == 422 and "aisles" in bad.json()["detail"]
    assert layout_file.read_text() == LAYOUT
    good = http.put("/layout", content="aisles: 2\nblocks: 2\nbays_per_block: 5\n",
                    headers=headers)
    assert good.status_code == 200 and good.json()["bays_per_aisle"] == 10
    assert http.get("/layout").json()["blocks"] == 2
    assert http.post("/routes", json={"locations": ["A03-01-A"]}).status_code == 404


@pytest.fixture
def http_without_layout(hub: Hub) -> Iterator[httpx.Client]:
    yield from _serve(hub)


def test_without_a_layout_routes_say_so(http_without_layout: httpx.Client) -> None:
    http = http_without_layout
    response = http.post("/routes", json={"locations": ["A01-01-A"]})
    assert response.status_code == 404 and "FULFIL_LAYOUT_PATH" in response.json()["detail"]
    put = http.put("/layout", content=LAYOUT, headers={"content-type": "application/yaml"})
    assert put.status_code == 409


def test_released_picks_follow_the_route(routed_hub: Hub) -> None:
    # pick_sequence says 09, 01, 05; the walk up aisle A01 and back is 01, 05, 09 or reverse.
    for sku, location, seq in (("S9", "A01-09-A", 1), ("S1", "A01-01-A", 2),
                               ("S5", "A01-05-A", 3)):
        routed_hub.handle(commands.AddSku(sku, sku, f"50123456789{seq}", 100.0, 0))
        routed_hub.handle(commands.AddLocation(location, "A", seq))
        routed_hub.handle(commands.ReceiveStock(sku, location, 5))
    order_id, _ = routed_hub.handle(order("R-1", ("S9", 1), ("S1", 1), ("S5", 1)))
    routed_hub.handle(commands.ReleaseOrder(order_id))
    with routed_hub.uow(read_only=True) as uow:
        (task,) = uow.repo.tasks_for_order(order_id)
        walk = [pick.location for pick in sorted(task.picks, key=lambda p: p.seq)]
    assert walk in (["A01-01-A", "A01-05-A", "A01-09-A"], ["A01-09-A", "A01-05-A", "A01-01-A"])


def test_wave_from_released_orders(routed_hub: Hub, http: httpx.Client) -> None:
    ids = []
    for n, location in enumerate(("A01-02-A", "A04-09-A", "A01-03-A")):
        sku = f"W{n}"
        routed_hub.handle(commands.AddSku(sku, sku, f"5012345679{n:03d}", 100.0, 0))
        routed_hub.handle(commands.AddLocation(location, "A", n))
        routed_hub.handle(commands.ReceiveStock(sku, location, 5))
        order_id, _ = routed_hub.handle(order(f"W-{n}", (sku, 2)))
        routed_hub.handle(commands.ReleaseOrder(order_id))
        ids.append(order_id)
    trips = http.post("/waves", json={"order_ids": ids, "totes": 2}).json()["trip_list"]
    assert sorted(len(t["totes"]) for t in trips) == [1, 2]
    pair = next(t for t in trips if len(t["totes"]) == 2)
    assert {t["order_id"] for t in pair["totes"]} == {ids[0], ids[2]}  # both in aisle A01
    assert sorted(t["slot"] for t in pair["totes"]) == [1, 2]
    assert {s["location"] for s in pair["stops"]} == {"A01-02-A", "A01-03-A"}
    missing = http.post("/waves", json={"order_ids": ["ord_nope"], "totes": 2})
    assert missing.status_code == 404
    held, _ = routed_hub.handle(order("W-held", ("W0", 1), payment="pending"))
    assert http.post("/waves", json={"order_ids": [held], "totes": 2}).status_code == 409
