"""Stored waves on SQLite and PostgreSQL: built through the API from released orders, sent to
the zone devices as one pick task per trip in walking order, progress from confirmed picks."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select

from edge.wire import messages as wire
from edge.wire import topics
from hub.adapters import orm
from hub.adapters.embedded_broker import free_port
from hub.adapters.orm_waves import wave_picks, wave_totes, wave_trips, waves
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.entrypoints.dashboard import floor_data
from hub.service_layer.api_keys import create_key
from hub.service_layer.handlers import pick_direct
from tests.integration.hub.conftest import order

# zone A: aisles A01-A02, zone B: aisles A03-A04; the depot at the head of A01
LAYOUT = ("aisles: 4\nbays_per_block: 10\nlevels: 2\ndepot_aisle: A01\n"
          "zones: {A: [A01, A02], B: [A03, A04]}\n")
# sku -> location: zone A holds S1 (far end of A02), S2 (near), S3 (A01 middle); zone B S4
STOCK = {"S1": "A02-10-A", "S2": "A01-01-A", "S3": "A01-05-A", "S4": "A03-04-A"}
_seq = itertools.count()


@pytest.fixture
def wave_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    layout = tmp_path / "layout.yaml"
    layout.write_text(LAYOUT)
    hub = bootstrap(Settings(database_url=database_url, site="test", layout_path=str(layout)))
    for n, (sku, location) in enumerate(STOCK.items()):
        hub.handle(commands.AddSku(sku, sku, f"50000000000{n}", 100.0, 0))
        hub.handle(commands.AddLocation(location, "A" if location < "A03" else "B", n))
        hub.handle(commands.ReceiveStock(sku, location, 50))
    yield hub
    hub.stop()


@pytest.fixture
def http(wave_hub: Hub) -> Iterator[httpx.Client]:
    with wave_hub.uow() as uow:
        key = create_key(uow, wave_hub.ctx, "ops key", ["ops"])
    server = ApiServer(create_app(wave_hub), "127.0.0.1", free_port())
    server.start()
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as client:
        yield client
    server.stop()


def _released(hub: Hub, *lines: tuple[str, int]) -> str:
    order_id, _ = hub.handle(order(f"W-{next(_seq)}", *lines))
    hub.handle(commands.ReleaseOrder(order_id))
    return str(order_id)


def _device(hub: Hub, device_id: str, zone: str, state: str = "online") -> None:
    locations = [loc for loc in STOCK.values() if (loc < "A03") == (zone == "A")]
    status = wire.DeviceStatus(device_id=device_id, boot_id="b1", seq=0, state=state, bdseq=1,
                               role="pick_zone", zone=zone, locations=locations)
    hub.handle(commands.DeviceMessage(topics.status("test", device_id), status))


def _commands(hub: Hub, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with hub.uow(read_only=True) as uow:
        rows = uow.session.execute(select(orm.outbox.c.topic, orm.outbox.c.payload)
                                   .where(orm.outbox.c.topic.like(f"%/cmd/{kind}"))
                                   .order_by(orm.outbox.c.id)).all()
    return [(topic.split("/")[-3], json.loads(payload)) for topic, payload in rows]


def _confirm(hub: Hub, device_id: str, task: dict[str, Any], pick: dict[str, Any]) -> None:
    event = wire.PickConfirmed(device_id=device_id, boot_id="b1", seq=next(_seq),
                               task_id=task["task_id"], pick_id=pick["pick_id"],
                               order_id=pick["order_id"], sku=pick["sku"],
                               location=pick["location"], qty=pick["qty"], method="scan")
    hub.handle(commands.DeviceMessage(topics.event("test", device_id, "pick_confirmed"), event))


def _streamed_floor(http: httpx.Client) -> dict[str, Any]:
    """The first ``floor`` event of the dashboard's server-sent event stream."""
    with http.stream("GET", "/dashboard/stream") as response:
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "floor":
                return dict(json.loads(line[6:]))
    raise AssertionError("the stream ended without a floor event")


def test_wave_tables_come_from_their_migration(wave_hub: Hub) -> None:
    inspector = inspect(wave_hub.engine)
    for table in (waves, wave_trips, wave_totes, wave_picks):
        assert {c["name"] for c in inspector.get_columns(table.name)} == \
            {c.name for c in table.columns}


def test_a_wave_is_stored_sent_in_walking_order_and_tracks_progress(
        wave_hub: Hub, http: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = wave_hub
    direct: list[str] = []  # what the direct path answered for each scan (it still runs)
    real_confirm = pick_direct.confirm
    monkeypatch.setattr(pick_direct, "confirm",
                        lambda *args: direct.append(real_confirm(*args)) or direct[-1])
    _device(hub, "zone-a", "A")
    first = _released(hub, ("S2", 1), ("S1", 1), ("S4", 2))  # zones A and B
    second = _released(hub, ("S3", 1))
    held_before = [payload for _, payload in _commands(hub, "pick_task")]
    assert {p["order_id"] for p in held_before} == {first, second}  # sent per order at release

    response = http.post("/waves", json={"totes": 4})
    assert response.status_code == 201, response.text
    wave = response.json()
    assert wave["state"] == "open" and wave["orders"] == 2 and wave["picks"] == 4
    assert [z["zone"] for z in wave["zones"]] == ["A", "B"]
    trip_a = next(t for t in wave["trip_list"] if t["zone"] == "A")
    assert {t["order_id"]: t["slot"] for t in trip_a["totes"]} == {first: 1, second: 2}
    walk = [s["location"] for s in trip_a["stops"]]
    # the shortest walk: up A01 (01, 05) and back down A02 from bay 10, or the reverse
    assert walk in (["A01-01-A", "A01-05-A", "A02-10-A"], ["A02-10-A", "A01-05-A", "A01-01-A"])
    cumulative = [s["cumulative_m"] for s in trip_a["stops"]]
    assert cumulative == sorted(cumulative) and trip_a["total_m"] > cumulative[-1]
    assert trip_a["device_id"] == "zone-a"

    # the device gave back the per-order tasks it held and got the trip in walking order
    cancelled = {p["task_id"] for _, p in _commands(hub, "cancel_task")}
    assert cancelled == {p["task_id"] for p in held_before if p["picks"][0]["location"] < "A03"}
    (device_id, sent), = [(d, p) for d, p in _commands(hub, "pick_task")
                          if p["task_id"] == trip_a["id"]]
    assert device_id == "zone-a"
    assert [p["location"] for p in sent["picks"]] == walk
    assert {p["order_id"]: p["tote"] for p in sent["picks"]} == {first: 1, second: 2}
    trip_b = next(t for t in wave["trip_list"] if t["zone"] == "B")
    assert trip_b["device_id"] is None  # no zone B device online yet

    # a zone B device coming online gets its trip, not the per-order task
    _device(hub, "zone-b", "B")
    to_b = [p for d, p in _commands(hub, "pick_task") if d == "zone-b"]
    assert [p["task_id"] for p in to_b] == [trip_b["id"]]

    # picks confirmed on the trip count for their orders and move the wave along
    for pick in sent["picks"][:2]:
        _confirm(hub, "zone-a", sent, pick)
    # written directly, trip and all, unless the scan finishes its order (the pack job)
    assert direct == ["claimed" if p["order_id"] == second else "applied"
                      for p in sent["picks"][:2]]
    listed = http.get("/waves", params={"state": "picking"}).json()
    assert [w["id"] for w in listed] == [wave["id"]]
    zone_a = next(z for z in listed[0]["zones"] if z["zone"] == "A")
    assert (zone_a["picks_confirmed"], zone_a["picks"], zone_a["trips_done"]) == (2, 3, 0)
    assert listed[0]["progress"] == pytest.approx(2 / 4)
    (streamed,) = _streamed_floor(http)["waves"]  # what the dashboard gets
    assert streamed["id"] == wave["id"] and streamed["state"] == "picking"
    assert next(z for z in streamed["zones"] if z["zone"] == "A") == zone_a
    _confirm(hub, "zone-a", sent, sent["picks"][2])
    _confirm(hub, "zone-b", to_b[0], to_b[0]["picks"][0])
    done = http.get(f"/waves/{wave['id']}").json()
    assert done["state"] == "done" and done["done_at"] is not None
    assert all(s["status"] == "done" for t in done["trip_list"] for s in t["stops"])
    with hub.uow(read_only=True) as uow:
        assert uow.repo.get_order(first).status == "picked"
        assert uow.repo.get_order(second).status == "picked"
    assert floor_data(hub)["waves"] == []
    assert http.get("/waves", params={"state": "open"}).json() == []


def test_bad_wave_requests_get_a_clear_4xx(wave_hub: Hub, http: httpx.Client) -> None:
    nothing = http.post("/waves", json={"totes": 4})
    assert nothing.status_code == 409 and "no released orders" in nothing.json()["detail"]
    for body, status, reason in (
            ({"totes": 0}, 422, "totes"),
            ({"totes": 4, "units_per_trip": 0}, 422, "units_per_trip"),
            ({"totes": 4, "zone": "Q"}, 422, "zone 'Q' is not a pick zone"),
            ({"totes": 4, "order_ids": ["ord_nope"]}, 404, "ord_nope")):
        response = http.post("/waves", json=body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert reason in response.json()["detail"]
    held, _ = wave_hub.handle(order("W-held", ("S1", 1), payment="pending"))
    response = http.post("/waves", json={"totes": 4, "order_ids": [held]})
    assert response.status_code == 409 and "only released orders" in response.json()["detail"]
    big = _released(wave_hub, ("S1", 3))
    response = http.post("/waves", json={"totes": 4, "units_per_trip": 2})
    assert response.status_code == 422 and big in response.json()["detail"]
    assert http.get("/waves").json() == []  # nothing half-built is left behind
    zone_b = http.post("/waves", json={"totes": 4, "zone": "B"})
    assert zone_b.status_code == 409  # the order has no picks in zone B
    assert http.post("/waves", json={"totes": 4, "zone": "A"}).status_code == 201
    again = http.post("/waves", json={"totes": 4, "order_ids": [big]})
    assert again.status_code == 409 and "outside a wave" in again.json()["detail"]
    assert http.get("/waves/wav_nope").status_code == 404


def test_waves_built_at_once_share_no_pick(wave_hub: Hub, http: httpx.Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(6):
        _released(wave_hub, ("S1", 1), ("S3", 1))
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: http.post("/waves", json={"totes": 2}), range(3)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses[0] == 201 and set(statuses) <= {201, 409}, [a.text for a in answers]
    built = [a.json() for a in answers if a.status_code == 201]
    assert sum(w["orders"] for w in built) == 6
    with wave_hub.uow(read_only=True) as uow:
        waved = uow.session.execute(select(wave_picks.c.pick_id)).scalars().all()
    assert len(waved) == len(set(waved)) == 12


def test_max_orders_takes_the_oldest_released_orders(wave_hub: Hub,
                                                     http: httpx.Client) -> None:
    ids = [_released(wave_hub, ("S2", 1)) for _ in range(3)]
    first = http.post("/waves", json={"totes": 8, "max_orders": 2}).json()
    assert sorted(t["order_id"] for trip in first["trip_list"] for t in trip["totes"]) == \
        sorted(ids[:2])
    rest = http.post("/waves", json={"totes": 8}).json()
    assert [t["order_id"] for trip in rest["trip_list"] for t in trip["totes"]] == [ids[2]]
