"""Tracking goes back to the channel once the label is printed: the print queues it in the
outbox in its own transaction, and the push is retried with backoff until it lands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from edge.wire import messages as wire
from hub.adapters import orm
from hub.adapters.channels import AmazonAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.domain.model import Shipment
from hub.service_layer.channels.push_dispatcher import ChannelPushDispatcher
from tests.integration.hub.analytics_flow import BENCH, send
from tests.integration.hub.channels.marketplace_server import Failure, MarketplaceServer
from tests.integration.hub.channels.support import amazon_payload, map_samples
from tests.integration.hub.channels.test_stock_sync import Clock

CONFIRM = "/orders/v0/orders/902-3159896-1390916/shipmentConfirmation"


@pytest.fixture
def market() -> Iterator[MarketplaceServer]:
    with MarketplaceServer() as server:
        yield server


def tracking_rows(hub: Hub) -> list[tuple[str | None, int, str | None]]:
    o = orm.outbox.c
    with hub.uow(read_only=True) as uow:
        return [(row.order_id, row.attempts, row.dispatched_at and "sent") for row in
                uow.session.execute(orm.outbox.select().where(o.kind == "channel_tracking"))]


def test_amazon_shipment_confirmation_after_the_label(warehouse: Hub,
                                                      market: MarketplaceServer) -> None:
    clock = Clock()
    warehouse.ctx.now = clock
    map_samples(warehouse)
    result = warehouse.handle(cc.IngestChannelOrder(
        "amazon", amazon_payload(OrderStatus="Unshipped")))
    order_id = result.order_id
    warehouse.handle(commands.ReleaseOrder(order_id))
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0)
    dispatcher = ChannelPushDispatcher(warehouse.uow, warehouse.ctx,
                                       {"amazon": (AmazonAdapter(), http)})
    assert dispatcher.dispatch_once().tracked == []  # no label yet: nothing to push
    assert tracking_rows(warehouse) == []
    with warehouse.uow() as uow:
        shipment = Shipment("shp_1", order_id, "royalmail", "Tracked 48", "AB123456789GB",
                            1000.0, warehouse.ctx.now())
        uow.repo.add(shipment)
        uow.commit()
    printed = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    send(warehouse, BENCH, wire.LabelPrinted, order_id=order_id, shipment_id="shp_1",
         tracking_number="AB123456789GB", ts=printed)
    assert tracking_rows(warehouse) == [(order_id, 0, None)]  # queued with the print
    send(warehouse, BENCH, wire.LabelPrinted, order_id=order_id, shipment_id="shp_1",
         tracking_number="AB123456789GB", ts=printed)  # a reprint queues nothing more
    assert tracking_rows(warehouse) == [(order_id, 0, None)]

    market.fail(CONFIRM, Failure(500), Failure(500))
    assert dispatcher.dispatch_once().failed == [("amazon", order_id)]
    assert dispatcher.dispatch_once().waiting == 1  # backing off: not sent again yet
    clock.advance(warehouse.settings.channel_backoff_s)
    assert dispatcher.dispatch_once().failed == [("amazon", order_id)]
    clock.advance(warehouse.settings.channel_backoff_s * 2)
    assert dispatcher.dispatch_once().tracked == [order_id]
    assert dispatcher.dispatch_once().tracked == []
    assert tracking_rows(warehouse) == [(order_id, 3, "sent")]
    posted = [seen for seen in market.requests if seen.path == CONFIRM]
    assert len(posted) == 3
    assert posted[-1].body == {"marketplaceId": "ATVPDKIKX0DER", "packageDetail": {
        "packageReferenceId": "1", "carrierCode": "royalmail", "carrierName": "royalmail",
        "shippingMethod": "Tracked 48", "trackingNumber": "AB123456789GB",
        "shipDate": "2026-11-26T10:00:00.000Z",
        "orderItems": [{"orderItemId": "68828574383266", "quantity": 1},
                       {"orderItemId": "79039765272157", "quantity": 2}]}}
    with warehouse.uow(read_only=True) as uow:
        events = [(e.step, e.name, e.outcome) for e in uow.repo.timeline(order_id)
                  if e.step == 14]
    assert events == [(14, "channel_tracking_failed", "tracking_push_failed"),
                      (14, "channel_tracking_failed", "tracking_push_failed"),
                      (14, "channel_tracking_pushed", "ok")]


def test_orders_of_no_channel_queue_no_tracking_push(warehouse: Hub) -> None:
    from tests.integration.hub.analytics_flow import run_order

    run_order(warehouse, "PHONE-1", channel="phone")
    assert tracking_rows(warehouse) == []
