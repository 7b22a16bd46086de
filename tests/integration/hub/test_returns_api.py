"""Complaints, returns and refunds through the API: bad input gets a clear 4xx and changes
nothing; refunds go to Stripe (a local server) when the order was paid there."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from edge.wire import messages as wire
from hub import errors
from hub.adapters import orm
from hub.adapters.orm_customer import complaints, refunds, returns
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import channel_commands, commands
from hub.entrypoints.api.app import create_app
from hub.service_layer.api_keys import create_key
from tests.integration.couriers.flow import event, pack_event, pick_and_pack
from tests.integration.hub.conftest import ADDRESS, LOCATIONS, SKUS
from tests.support.stripe_server import StripeServer, stripe_server


@pytest.fixture
def stripe() -> Iterator[StripeServer]:
    with stripe_server() as server:
        yield server


@pytest.fixture
def hub(database_url: str, stripe: StripeServer) -> Iterator[Hub]:
    instance = bootstrap(Settings(database_url=database_url, site="test",
                                  stripe_api_key="sk_test_123",  # type: ignore[arg-type]
                                  stripe_api_base=stripe.url))
    for sku in SKUS:
        instance.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        instance.handle(commands.AddLocation(*location))
    instance.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))
    yield instance
    instance.stop()


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    with hub.uow() as uow:
        key = create_key(uow, hub.ctx, "ops key", ["ops"])
    with TestClient(create_app(hub), headers={"X-API-Key": key}) as client:
        yield client


def state(hub: Hub) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    with hub.uow() as uow:
        count = {t.name: uow.session.scalar(select(func.count()).select_from(t))
                 for t in (complaints, returns, refunds, orm.timeline_events, orm.orders,
                           orm.stock_movements, orm.outbox)}
        statuses = sorted(uow.session.execute(select(returns.c.rma, returns.c.status)).all())
        stock = sorted(uow.session.execute(select(
            orm.stock_balances.c.sku, orm.stock_balances.c.location,
            orm.stock_balances.c.on_hand)).all())
    return {"count": count, "returns": statuses, "stock": stock}


def refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"], response.json()["detail"]


def test_bad_input_gets_a_clear_error_and_changes_nothing(api: TestClient, hub: Hub) -> None:
    order_id = pick_and_pack(hub, "B-1", "TEE", 2, 510.0)  # line 1: 2 x TEE shipped
    before = state(hub)
    refused(api.post("/orders/ord_nope/complaints",
                     json={"reason": "wrong_item", "lines": [{"line": 1, "qty": 1}]}),
            404, "ord_nope")
    refused(api.post(f"/orders/{order_id}/complaints",
                     json={"reason": "wrong_item", "lines": [{"line": 7, "qty": 1}]}),
            422, "line 7 is not on order")
    refused(api.post(f"/orders/{order_id}/complaints",
                     json={"reason": "wrong_item", "lines": [{"line": 1, "qty": 3}]}),
            422, "only 2 were shipped")
    refused(api.post(f"/orders/{order_id}/complaints",
                     json={"reason": "ugly", "lines": [{"line": 1, "qty": 1}]}), 422, "reason")
    refused(api.post(f"/orders/{order_id}/returns", json={"lines": [{"line": 1, "qty": 5}]}),
            422, "only 2 were shipped")
    refused(api.post("/complaints/cmp_nope/solution", json={"solution": "refund"}), 404,
            "cmp_nope")
    refused(api.post("/returns/RMA-NOPE1234/receive", json={}), 404, "RMA-NOPE1234")
    assert state(hub) == before

    rma = api.post(f"/orders/{order_id}/returns", json={"lines": [{"line": 1, "qty": 1}]})
    assert rma.status_code == 201, rma.text
    code = rma.json()["rma"]
    assert rma.json()["courier"] == "manual" and rma.json()["tracking_number"]
    before = state(hub)
    refused(api.post(f"/orders/{order_id}/returns", json={"lines": [{"line": 1, "qty": 2}]}),
            422, "only 1 shipped and not yet returned")
    refused(api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 1, "qty": 1, "action": "restock", "location": "A01-02-A"}]}),
        409, "receive it first")
    refused(api.post(f"/orders/{order_id}/refunds", json={"rma": code}), 409,
            "refund after inspection")
    assert state(hub) == before

    assert api.post(f"/returns/{code.lower()}/receive", json={"by": "bench-1"}).status_code == 200
    before = state(hub)
    refused(api.post(f"/returns/{code}/receive", json={}), 409, "already received")
    scan = event(wire.ReturnScanned, 99, rma=code)  # the same RMA scanned at a bench
    with pytest.raises(errors.Conflict, match="already received"):
        hub.handle(scan)
    refused(api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 1, "qty": 1, "action": "restock", "location": "Z99-99-Z"}]}),
        422, "restock needs a known location")
    refused(api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 1, "qty": 1, "action": "write_off"}]}), 422, "needs a reason")
    refused(api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 1, "qty": 2, "action": "restock", "location": "A01-02-A"}]}),
        422, "but 1 were returned")
    refused(api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 2, "qty": 1, "action": "restock", "location": "A01-02-A"}]}),
        422, "line 2 is not on return")
    assert state(hub) == before

    inspected = api.post(f"/returns/{code}/inspection", json={"lines": [
        {"line": 1, "qty": 1, "action": "write_off", "reason": "box crushed"}]})
    assert inspected.status_code == 200 and inspected.json()["status"] == "inspected"
    assert inspected.json()["lines"][0]["written_off"] == 1
    before = state(hub)
    refused(api.post(f"/orders/{order_id}/refunds", json={"rma": code}), 422,
            "at most 0.00 GBP")  # the test order was free
    assert state(hub) == before


def stripe_order(hub: Hub) -> str:
    order_id, _ = hub.handle(commands.CreateOrder(
        channel="web", channel_ref="S-1", lines=[commands.NewLine("TEE", 2, Decimal("12.50"))],
        ship_to=ADDRESS, payment_status="pending", total=Decimal("25.00")))
    assert hub.handle(channel_commands.RecordPayment(
        order_id, "succeeded", "stripe", "pi_3Nabc", "evt_1", Decimal("25.00"), "GBP")) == "paid"
    return str(order_id)


def test_refund_through_stripe(api: TestClient, hub: Hub, stripe: StripeServer) -> None:
    order_id = stripe_order(hub)
    paid = api.post(f"/orders/{order_id}/refunds", json={"amount": "7.50"})
    assert paid.status_code == 201, paid.text
    assert (paid.json()["method"], paid.json()["provider_ref"]) == ("stripe", "re_1")
    [sent] = stripe.requests
    assert sent["path"] == "/v1/refunds" and sent["auth"] == "Bearer sk_test_123"
    assert sent["form"]["payment_intent"] == "pi_3Nabc" and sent["form"]["amount"] == "750"
    assert sent["idempotency_key"] == paid.json()["id"]

    before = state(hub)
    refused(api.post(f"/orders/{order_id}/refunds", json={"amount": "20.00"}), 422,
            "at most 17.50 GBP")
    stripe.refuse = True
    refused(api.post(f"/orders/{order_id}/refunds", json={"amount": "1.00"}), 409,
            "Stripe refused the refund (400): Charge has already been refunded.")
    assert state(hub) == before
    with hub.uow() as uow:
        names = [e.name for e in uow.repo.timeline(order_id)]
    assert names.count("refund_issued") == 1


def priced_and_packed(hub: Hub, ref: str) -> str:
    """2 x TEE at 12.50, paid by hand, picked and packed."""
    order_id, _ = hub.handle(commands.CreateOrder(
        channel="web", channel_ref=ref, lines=[commands.NewLine("TEE", 2, Decimal("12.50"))],
        ship_to=ADDRESS, total=Decimal("25.00")))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        [task] = uow.repo.tasks_for_order(order_id)
        [pick] = task.picks
        task_id, pick_id, location = task.id, pick.id, pick.location
    hub.handle(event(wire.PickConfirmed, 1, task_id=task_id, pick_id=pick_id, order_id=order_id,
                     sku="TEE", location=location, qty=2, method="scan", operator="amy"))
    hub.handle(pack_event(order_id, 2, "TEE", 2, 510.0))
    return str(order_id)


def test_complaint_solutions(api: TestClient, hub: Hub) -> None:
    damaged = priced_and_packed(hub, "C-1")
    complaint = ok(api.post(f"/orders/{damaged}/complaints", json={
        "reason": "damaged", "lines": [{"line": 1, "qty": 1}]}))
    assert complaint["cause"]["failed_step"] == "packing"
    assert complaint["cause"]["packed_by"] == ["bench-1"]
    before = state(hub)
    refused(api.post(f"/complaints/{complaint['id']}/solution",
                     json={"solution": "refund", "amount": "13.00"}), 422, "at most 12.50 GBP")
    assert state(hub) == before
    partial = ok(api.post(f"/complaints/{complaint['id']}/solution",
                          json={"solution": "refund", "amount": "5.00"}))
    assert partial["refund"]["amount"] == "5.00" and partial["refund"]["method"] == "manual"
    refused(api.post(f"/complaints/{complaint['id']}/solution",
                     json={"solution": "replacement"}), 409, "already has a solution: refund")

    wrong = priced_and_packed(hub, "C-2")
    complaint = ok(api.post(f"/orders/{wrong}/complaints", json={
        "reason": "wrong_item", "lines": [{"line": 1, "qty": 2}]}))
    assert complaint["cause"]["picked_by"] == ["bench-1/amy"]
    assert complaint["cause"]["bins"] == ["A01-02-A"]
    replaced = ok(api.post(f"/complaints/{complaint['id']}/solution",
                           json={"solution": "replacement"}))
    new_id = replaced["replacement_order_id"]
    new_order = ok(api.get(f"/orders/{new_id}"))
    assert new_order["channel_ref"] == "C-2-R1" and new_order["status"] == "ready"
    assert [(line["sku"], line["qty"]) for line in new_order["lines"]] == [("TEE", 2)]
    linked = ok(api.get(f"/orders/{wrong}/complaints"))
    assert linked["replacements"] == [new_id]
    assert ok(api.get(f"/orders/{new_id}/complaints"))["replaces"] == wrong
    assert ok(api.post(f"/orders/{new_id}/release"))  # the normal flow from here
    ranked = ok(api.get("/analytics/complaint-causes"))
    assert sorted((r["key"], r["complaints"]) for r in ranked) == [
        ("packing", 1), ("wrong_item_at_pick", 1)]


def ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json()
