"""pack_verified books through the rules: the cheapest eligible service, explained on the
timeline; "no service fits" is an exception on the order, not a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.wire import messages as wire
from edge.wire import topics
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.integration.couriers.replay import ReplayServer, replay_server
from tests.integration.couriers.test_booking_faults import ClickAndDropState, install
from tests.integration.hub.conftest import LOCATIONS, SKUS, order

CARD = """
zones:
  uk_main: {countries: [GB]}
services:
  - {courier: royalmail, code: TPS48, days: 2, cutoff: "23:59", max_weight_g: 2000,
     rates: {uk_main: [[2000, 3.20]]}}
  - {courier: manual, code: VAN, days: 1, cutoff: "23:59", max_weight_g: 30000,
     rates: {uk_main: [[30000, 8.00]]}}
overrides:
  - {reason: "tees go by van", skus: [TEE], only: ["manual:VAN"]}
"""


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as state:
        yield state


@pytest.fixture
def hub(database_url: str, tmp_path: Path, server: ReplayServer) -> Iterator[Hub]:
    card = tmp_path / "rates.yaml"
    card.write_text(CARD)
    instance = bootstrap(Settings(
        database_url=database_url, site="test", courier_rates=str(card),
        couriers={"royalmail": {"base_url": server.url}},
        courier_ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        ship_from={"name": "Dock", "line1": "1 Way", "city": "Leeds", "country": "GB"}))
    for sku in SKUS:
        instance.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        instance.handle(commands.AddLocation(*location))
    instance.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    instance.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))
    yield instance
    instance.stop()


def event(model: type[wire.EventBase], seq: int, **fields: Any) -> commands.DeviceMessage:
    message = model(device_id="bench-1", boot_id="b1", seq=seq, **fields)
    return commands.DeviceMessage(topics.event("test", "bench-1", message.type), message)


def pick_and_pack(hub: Hub, ref: str, sku: str, qty: int, weight_g: float) -> str:
    order_id, _ = hub.handle(order(ref, (sku, qty)))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        tasks = [(t.id, [(p.id, p.sku, p.location, p.qty) for p in t.picks])
                 for t in uow.repo.tasks_for_order(order_id)]
    seq = 0
    for task_id, picks in tasks:
        for pick_id, pick_sku, location, pick_qty in picks:
            seq += 1
            hub.handle(event(wire.PickConfirmed, seq, task_id=task_id, pick_id=pick_id,
                             order_id=order_id, sku=pick_sku, location=location, qty=pick_qty,
                             method="scan"))
    hub.handle(event(wire.PackVerified, seq + 1, order_id=order_id,
                     lines=[wire.PackedLine(sku=sku, qty=qty)], weight_g=weight_g,
                     expected_g=weight_g, tolerance_g=20.0))
    return order_id


def timeline(hub: Hub, order_id: str) -> dict[str, Any]:
    with hub.uow() as uow:
        return {e.name: e for e in uow.repo.timeline(order_id)}


def test_cheapest_service_is_booked_with_the_courier_and_explained(
        hub: Hub, server: ReplayServer) -> None:
    state = ClickAndDropState(seed=1, timeout_share=0.0)
    install(server, state)
    order_id = pick_and_pack(hub, "R-1", "MUG", 1, 500.0)
    events = timeline(hub, order_id)
    booked = events["shipping_booked"]
    assert booked.details["courier"] == "royalmail" and booked.details["service"] == "TPS48"
    assert booked.details["why"].startswith("royalmail:TPS48 at 3.20")
    assert "manual:VAN 8.00" in booked.details["why"]
    assert events["tracking_recorded"].details["tracking_number"] == \
        state.orders[0]["trackingNumber"]
    sent = server.requests("POST", "/orders")[0].body["items"][0]
    assert sent["orderReference"] == f"{order_id}-1"
    assert sent["postageDetails"]["serviceCode"] == "TPS48"


def test_override_sends_tees_by_van(hub: Hub, server: ReplayServer) -> None:
    order_id = pick_and_pack(hub, "R-2", "TEE", 1, 400.0)
    booked = timeline(hub, order_id)["shipping_booked"]
    assert (booked.details["courier"], booked.details["service"]) == ("manual", "VAN")
    assert "overrides: tees go by van" in booked.details["why"]
    assert server.requests("POST", "/orders") == []


def test_no_service_fits_is_an_exception_on_the_order(hub: Hub, server: ReplayServer) -> None:
    order_id = pick_and_pack(hub, "R-3", "MUG", 1, 45000.0)
    events = timeline(hub, order_id)
    assert "shipping_booked" not in events
    exception = events["shipping_exception"]
    assert exception.outcome == "no_service_fits"
    assert "royalmail:TPS48: 45000 g is over its 2000 g limit" in exception.details["reasons"]
    with hub.uow() as uow:
        assert uow.repo.shipment_for_order(order_id) is None
        assert uow.repo.get_order(order_id).status == "picked"  # type: ignore[union-attr]
