"""Device messages through a real broker (embedded amqtt and Mosquitto): exactly-once
effects over at-least-once delivery, and clear error events for bad messages."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import encode
from hub.adapters import orm
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.integration.hub.conftest import LOCATIONS, SKUS, order
from tests.support.mqtt_client import TestClient

DEVICE = "zone-t"


@pytest.fixture(params=["embedded", "mosquitto"])
def live_hub(request: pytest.FixtureRequest, database_url: str) -> Iterator[Hub]:
    site = f"t{uuid.uuid4().hex[:10]}"
    url = request.getfixturevalue("mosquitto_url") if request.param == "mosquitto" else None
    hub = bootstrap(Settings(database_url=database_url, site=site, mqtt_url=url,
                             embedded_broker_port=0), start_messaging=True)
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    yield hub
    hub.stop()


@pytest.fixture
def device(live_hub: Hub) -> Iterator[TestClient]:
    site = live_hub.settings.site
    client = TestClient(live_hub.mqtt_url or "", topics.device_subscriptions(site, DEVICE))
    birth = wire.DeviceStatus(device_id=DEVICE, boot_id="b1", seq=0, state="online", bdseq=1,
                              role="pick_zone", zone="A", locations=["A01-01-A", "A01-02-A"])
    client.publish(topics.status(site, DEVICE), encode(birth), retain=True)
    yield client
    client.publish(topics.status(site, DEVICE), b"", retain=True)  # clear the retained birth
    client.close()


def wait_until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def device_known(hub: Hub) -> bool:
    with hub.uow(read_only=True) as uow:
        return uow.repo.device(DEVICE) is not None


def mug_balance(hub: Hub) -> tuple[int, int]:
    with hub.uow() as uow:
        row = next(r for r in uow.repo.balances("MUG") if r.location == "A01-01-A")
        return row.on_hand, row.reserved


def test_duplicate_event_has_one_effect(live_hub: Hub, device: TestClient) -> None:
    site = live_hub.settings.site
    wait_until(lambda: device_known(live_hub))
    order_id, _ = live_hub.handle(order("D-1", ("MUG", 2)))
    live_hub.handle(commands.ReleaseOrder(order_id))
    task = device.expect("/cmd/pick_task")
    assert task["order_id"] == order_id and task["picks"][0]["qty"] == 2
    pick = task["picks"][0]
    event = wire.PickConfirmed(device_id=DEVICE, boot_id="b1", seq=1, task_id=task["task_id"],
                               pick_id=pick["pick_id"], order_id=order_id, sku="MUG",
                               location="A01-01-A", qty=1, method="scan")
    for _ in range(2):
        device.publish(topics.event(site, DEVICE, "pick_confirmed"), encode(event))
        assert device.expect("/ack")["msg_ids"] == [event.msg_id]
    assert mug_balance(live_hub) == (2, 1)
    with live_hub.uow() as uow:
        picked = [e for e in uow.repo.timeline(order_id) if e.name == "item_picked"]
        assert len(picked) == 1
        assert uow.repo.get_order(order_id).lines[0].qty_picked == 1  # type: ignore[union-attr]


BAD = [
    ("pick_confirmed", b"{not json", "bad_json"),
    ("teleport", json.dumps({"v": 1, "type": "teleport"}).encode(), "unknown_type"),
    ("pick_confirmed", None, "bad_version"),
    ("pick_confirmed", None, "invalid"),
]


@pytest.mark.parametrize(("event_type", "payload", "code"), BAD,
                         ids=[case[2] for case in BAD])
def test_bad_message_gets_an_error_event_and_changes_nothing(
        live_hub: Hub, device: TestClient, event_type: str, payload: bytes | None,
        code: str) -> None:
    site = live_hub.settings.site
    good = wire.PickConfirmed(device_id=DEVICE, boot_id="b1", seq=5, task_id="tsk_x",
                              pick_id="pk_x", order_id="ord_x", sku="MUG",
                              location="A01-01-A", qty=1, method="scan")
    body = json.loads(encode(good))
    if code == "bad_version":
        payload = json.dumps({**body, "v": 99}).encode()
    elif code == "invalid":
        payload = json.dumps({k: v for k, v in body.items() if k != "sku"}).encode()
    before = mug_balance(live_hub)
    device.publish(topics.event(site, DEVICE, event_type), payload or b"")
    error = device.expect("/error")
    assert error["code"] == code
    assert error["ref_topic"].endswith(f"/evt/{event_type}")
    assert error["reason"]
    assert mug_balance(live_hub) == before
    with live_hub.uow() as uow:
        assert uow.repo.list_orders(None, 10, 0) == []


def test_event_for_unknown_work_is_refused_acked_and_harmless(live_hub: Hub,
                                                             device: TestClient) -> None:
    site = live_hub.settings.site
    event = wire.PickConfirmed(device_id=DEVICE, boot_id="b1", seq=7, task_id="tsk_missing",
                               pick_id="pk_x", order_id="ord_x", sku="MUG",
                               location="A01-01-A", qty=1, method="scan")
    device.publish(topics.event(site, DEVICE, "pick_confirmed"), encode(event))
    error = device.expect("/error")
    assert error["code"] == "rejected" and "tsk_missing" in error["reason"]
    assert error["ref_msg_id"] == event.msg_id
    assert device.expect("/ack")["msg_ids"] == [event.msg_id]
    assert mug_balance(live_hub) == (3, 0)
    # an event handled on its own is refused by rolling its transaction back: its inbox
    # claim went with it
    with live_hub.uow() as uow:
        claimed = uow.session.scalar(select(func.count()).select_from(orm.inbox).where(
            orm.inbox.c.msg_id == event.msg_id))
    assert claimed == 0


def test_a_batch_applies_each_event_once_and_refuses_alone(live_hub: Hub,
                                                           device: TestClient) -> None:
    """Events queued together share a transaction; a refused one is undone by itself."""
    site = live_hub.settings.site
    wait_until(lambda: device_known(live_hub))
    order_id, _ = live_hub.handle(order("D-9", ("MUG", 3)))
    live_hub.handle(commands.ReleaseOrder(order_id))
    task = device.expect("/cmd/pick_task")
    pick = task["picks"][0]

    def confirm(seq: int, qty: int, pick_id: str = pick["pick_id"]) -> wire.PickConfirmed:
        return wire.PickConfirmed(device_id=DEVICE, boot_id="b1", seq=seq,
                                  task_id=task["task_id"], pick_id=pick_id, order_id=order_id,
                                  sku="MUG", location="A01-01-A", qty=qty, method="scan")

    first, refused, second = confirm(1, 1), confirm(2, 1, "pk_unknown"), confirm(3, 2)
    topic = topics.event(site, DEVICE, "pick_confirmed")
    assert live_hub.worker is not None
    outcomes = live_hub.worker.process_batch(
        [(topic, encode(m)) for m in (first, refused, first, second)])
    assert outcomes == ["applied", "refused", "duplicate", "applied"]
    error = device.expect("/error")
    assert error["ref_msg_id"] == refused.msg_id and "pk_unknown" in error["reason"]
    assert device.expect("/ack")["msg_ids"] == [first.msg_id, refused.msg_id, first.msg_id,
                                                second.msg_id]
    assert mug_balance(live_hub) == (0, 0)
    with live_hub.uow(read_only=True) as uow:
        stored = uow.repo.get_order(order_id)
        assert stored is not None and stored.status == "picked"
        names = [e.name for e in uow.repo.timeline(order_id)]
        assert names.count("item_picked") == 2 and names.count("order_picked") == 1
