"""Steps 16-19 end to end: an order is delivered, the customer complains about a wrong item,
a return is authorised, scanned in at a pack bench and inspected, the stock is back, a
replacement ships; both timelines are complete and the cause points at the pick.

The hub runs with its real MQTT broker, HTTP API and outbox; devices speak MQTT (their
pick and pack events, and the RMA scan produced by the pack bench state machine); customer
messages go to a real SMTP server."""

from __future__ import annotations

import itertools
import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from edge.core.effects import Publish
from edge.core.pack_bench import PackBench
from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import encode
from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from hub.service_layer.handlers import customer
from tests.support.mqtt_client import TestClient
from tests.support.smtp_server import PASSWORD, USER, SmtpServer, smtp_server

pytestmark = pytest.mark.e2e

SKUS = [("MUG", "Mug", "5012345678900", 340.0, 5), ("TEE", "T-shirt", "5012345678917", 180.0, 0)]
ADDRESS = {"name": "Grace Hopper", "line1": "1 Navy Pier", "city": "Leeds",
           "postcode": "LS1 1AA", "country": "GB"}
_seq = itertools.count(1)


class Device:
    """One device on the broker: publishes events and waits for the hub's ack or error."""

    def __init__(self, url: str, site: str, device_id: str) -> None:
        self.site, self.device_id = site, device_id
        self.client = TestClient(url, topics.device_subscriptions(site, device_id))

    def send(self, model: type[wire.EventBase], operator: str, **fields: Any) -> dict[str, Any]:
        """Publish one event; returns the hub's error event for it, or {} once acked."""
        event = model(device_id=self.device_id, boot_id="b1", seq=next(_seq), operator=operator,
                      **fields)
        self.client.publish(topics.event(self.site, self.device_id, event.type), encode(event))
        deadline, error = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            try:
                topic, body = self.client.messages.get(timeout=1)
            except queue.Empty:
                continue
            if not isinstance(body, dict):
                continue
            if topic.endswith("/error") and body.get("ref_msg_id") == event.msg_id:
                error = body
            if topic.endswith("/ack") and event.msg_id in body.get("msg_ids", []):
                return error
        raise AssertionError(f"the hub did not ack {event.type} {event.msg_id}")


@dataclass
class Site:
    hub: Hub
    api: httpx.Client
    smtp: SmtpServer
    zone: Device
    bench: Device


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    with smtp_server() as smtp:
        name = f"ret{uuid.uuid4().hex[:8]}"
        hub = bootstrap(Settings(
            database_url=database_url, site=name, embedded_broker_port=0,
            smtp_host=smtp.host, smtp_port=smtp.port, smtp_ca_file=smtp.ca_file,
            smtp_username=USER, smtp_password=PASSWORD,  # type: ignore[arg-type]
            message_from="Shop <orders@shop.example>",
            tracking_urls={"manual": "https://shop.example/track/{tracking_number}"},
            ship_from={"name": "Dock", "line1": "1 Way", "city": "Leeds", "country": "GB"}),
            start_messaging=True)
        server = ApiServer(create_app(hub), "127.0.0.1", free_port())
        server.start()
        with hub.uow() as uow:
            key = create_key(uow, hub.ctx, "e2e", ["ops", "channel", "courier", "device"])
        api = httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30)
        zone = Device(hub.mqtt_url or "", name, "zone-a")
        bench = Device(hub.mqtt_url or "", name, "bench-1")
        try:
            for sku in SKUS:
                ok(api.post("/skus", json=dict(zip(
                    ("sku", "name", "barcode", "unit_weight_g", "reorder_level"), sku,
                    strict=True))))
            for code, zone_name in (("A01-01-A", "A"), ("A01-02-A", "A")):
                ok(api.post("/locations", json={"code": code, "zone": zone_name}))
            ok(api.post("/stock/receive", json={"sku": "MUG", "location": "A01-01-A",
                                                "qty": 5}))
            ok(api.post("/stock/receive", json={"sku": "TEE", "location": "A01-02-A",
                                                "qty": 10}))
            yield Site(hub, api, smtp, zone, bench)
        finally:
            for device in (zone, bench):
                device.client.close()
            api.close()
            server.stop()
            hub.stop()


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def on_hand(site: Site, sku: str, location: str) -> int:
    rows = ok(site.api.get("/stock"))
    return sum(int(r["on_hand"]) for r in rows if r["sku"] == sku and r["location"] == location)


def fulfil(site: Site, order_id: str, lines: dict[str, int]) -> str:
    """Release, pick (alice at zone-a), pack and label (carol at bench-1), hand over and
    deliver one order; returns its tracking number."""
    ok(site.api.post(f"/orders/{order_id}/release"))
    with site.hub.uow() as uow:  # the pick tasks a zone device would have been sent
        picks = [(t.id, p.id, p.sku, p.location, p.qty)
                 for t in uow.repo.tasks_for_order(order_id) for p in t.picks]
    for task_id, pick_id, sku, location, qty in picks:
        assert site.zone.send(wire.PickConfirmed, "alice", task_id=task_id, pick_id=pick_id,
                              order_id=order_id, sku=sku, location=location, qty=qty,
                              method="scan") == {}
    weight = sum({"MUG": 340.0, "TEE": 180.0}[sku] * qty for sku, qty in lines.items()) + 150
    assert site.bench.send(wire.PackVerified, "carol", order_id=order_id,
                           lines=[wire.PackedLine(sku=s, qty=q) for s, q in lines.items()],
                           weight_g=weight, expected_g=weight, tolerance_g=20.0) == {}
    with site.hub.uow() as uow:
        shipment = uow.repo.shipment_for_order(order_id)
        assert shipment is not None
        shipment_id, tracking = shipment.id, shipment.tracking_number
    assert site.bench.send(wire.LabelPrinted, "carol", order_id=order_id,
                           shipment_id=shipment_id, tracking_number=tracking) == {}
    manifest = ok(site.api.post("/manifests", json={"courier": "manual"}))
    ok(site.api.post(f"/manifests/{manifest['id']}/scans", json={"barcode": tracking}))
    ok(site.api.post(f"/manifests/{manifest['id']}/dispatch", json={}))
    ok(site.api.post("/tracking/events", json={"courier": "manual", "events": [
        {"tracking_number": tracking, "status": "delivered", "code": "DEL",
         "description": "Delivered", "at": site.hub.ctx.now().isoformat()}]}))
    return str(tracking)


def names(site: Site, order_id: str) -> list[str]:
    return [e["name"] for e in ok(site.api.get(f"/orders/{order_id}/timeline"))]


def subjects(site: Site, count: int) -> list[str]:
    return [str(m["Subject"]) for m in site.smtp.wait_for(count)]


def test_wrong_item_return_and_replacement(site: Site) -> None:
    api = site.api
    created = ok(api.post("/orders", json={
        "channel": "web", "channel_ref": "W-7", "customer_email": "grace@example.com",
        "ship_to": ADDRESS, "total": "37.00", "lines": [
            {"sku": "MUG", "qty": 1, "unit_price": "12.00"},
            {"sku": "TEE", "qty": 1, "unit_price": "25.00"}]}))
    original = created["id"]
    tracking = fulfil(site, original, {"MUG": 1, "TEE": 1})
    assert subjects(site, 3) == ["Your order W-7 is confirmed", "Your order W-7 is on its way",
                                 "Your order W-7 has been delivered"]
    assert f"https://shop.example/track/{tracking}" in site.smtp.messages()[1].as_string()
    assert on_hand(site, "TEE", "A01-02-A") == 9

    # step 16: the T-shirt is not what was ordered; the cause is traced to its pick
    complaint = ok(api.post(f"/orders/{original}/complaints", json={
        "reason": "wrong_item", "lines": [{"line": 2, "qty": 1}],
        "note": "a blue one came", "photos": ["https://photos.example/1.jpg"]}))
    assert complaint["cause"] == {"failed_step": "wrong_item_at_pick",
                                  "picked_by": ["zone-a/alice"], "packed_by": ["bench-1/carol"],
                                  "bins": ["A01-02-A"], "evidence": ["item_picked"]}

    # steps 17-18: return first; the bench scans the RMA off the parcel
    solution = ok(api.post(f"/complaints/{complaint['id']}/solution",
                           json={"solution": "return"}))
    rma = solution["return"]["rma"]
    assert solution["return"]["courier"] == "manual" and solution["return"]["tracking_number"]
    message = site.smtp.wait_for(4)[3]
    assert message["Subject"] == f"Your return {rma} for order W-7" and rma in message.as_string()
    bench = PackBench()
    [scan] = bench.scan(rma)
    assert isinstance(scan, Publish) and scan.model is wire.ReturnScanned
    assert site.bench.send(wire.ReturnScanned, "dave", **scan.fields) == {}
    assert ok(api.get(f"/returns/{rma}"))["status"] == "received"
    twice = site.bench.send(wire.ReturnScanned, "dave", **scan.fields)
    assert twice["code"] == "rejected" and "already received" in twice["reason"]
    inspected = ok(api.post(f"/returns/{rma}/inspection", json={"lines": [
        {"line": 2, "qty": 1, "action": "restock", "location": "A01-02-A"}]}))
    assert inspected["lines"][0]["restocked"] == 1
    assert on_hand(site, "TEE", "A01-02-A") == 10  # the stock is back
    refund = ok(api.post(f"/orders/{original}/refunds", json={"rma": rma}))
    assert (refund["amount"], refund["method"]) == ("25.00", "manual")

    # step 19: a replacement, through release, pick, pack and the courier like any order
    replacement = ok(api.post(f"/orders/{original}/replacements", json={
        "lines": [{"line": 2, "qty": 1}], "complaint_id": complaint["id"]}))["order_id"]
    fulfil(site, replacement, {"TEE": 1})
    assert on_hand(site, "TEE", "A01-02-A") == 9
    got = subjects(site, 8)
    assert got[4:] == ["Refund for order W-7", "Your order W-7-R1 is confirmed",
                       "Your order W-7-R1 is on its way", "Your order W-7-R1 has been delivered"]

    first = names(site, original)
    for name in ("order_received", "payment_confirmed", "customer_notified", "order_released",
                 "item_picked", "order_picked", "pack_verified", "shipping_booked",
                 "label_printed", "handed_over", "shipping_notified", "delivered",
                 "delivery_update_sent", "complaint_recorded", "solution_offered",
                 "return_authorised", "return_message_sent", "return_received",
                 "return_inspected", "refund_issued", "refund_message_sent",
                 "replacement_created"):
        assert name in first, f"{name} missing from the original's timeline: {first}"
    second = names(site, replacement)
    for name in ("order_received", "replacement_of", "customer_notified", "order_released",
                 "item_picked", "label_printed", "handed_over", "shipping_notified",
                 "delivered"):
        assert name in second, f"{name} missing from the replacement's timeline: {second}"
    linked = ok(api.get(f"/orders/{original}/complaints"))
    assert linked["replacements"] == [replacement]
    assert [r["status"] for r in linked["returns"]] == ["inspected"]

    # analytics: the original is imperfect, the cause ranks the pick; the replacement counts
    imperfect = {v["order_id"]: v for v in ok(api.get("/analytics/pop/orders"))}
    assert original in imperfect and replacement not in imperfect
    assert any("complaint_recorded (wrong_item)" in r for r in imperfect[original]["reasons"])
    assert ok(api.get("/analytics/complaint-causes", params={"by": "picked_by"})) == [
        {"key": "zone-a/alice", "complaints": 1}]
    assert ok(api.get("/analytics/complaint-causes")) == [
        {"key": "wrong_item_at_pick", "complaints": 1}]
    # only the perfect replacement is asked for a review
    later = site.hub.ctx.now() + timedelta(days=8)
    assert site.hub.handle(customer.RequestReviews(later)) == [replacement]
    assert subjects(site, 9)[8] == "How was your order W-7-R1?"
