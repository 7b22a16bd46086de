"""Tracking goes back to the channel once the label is printed, retried until it lands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from hub.adapters.channels import AmazonAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.domain.model import Shipment
from hub.service_layer.channels.tracking import TrackingPusher
from tests.integration.hub.channels.marketplace_server import Failure, MarketplaceServer
from tests.integration.hub.channels.support import amazon_payload, map_samples

CONFIRM = "/orders/v0/orders/902-3159896-1390916/shipmentConfirmation"


@pytest.fixture
def market() -> Iterator[MarketplaceServer]:
    with MarketplaceServer() as server:
        yield server


def test_amazon_shipment_confirmation_after_the_label(warehouse: Hub,
                                                      market: MarketplaceServer) -> None:
    map_samples(warehouse)
    result = warehouse.handle(cc.IngestChannelOrder(
        "amazon", amazon_payload(OrderStatus="Unshipped")))
    order_id = result.order_id
    warehouse.handle(commands.ReleaseOrder(order_id))
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0)
    pusher = TrackingPusher(warehouse.uow, warehouse.ctx, {"amazon": (AmazonAdapter(), http)})
    assert pusher.sweep() == {}  # no label yet: nothing to push
    with warehouse.uow() as uow:
        shipment = Shipment("shp_1", order_id, "royalmail", "Tracked 48", "AB123456789GB",
                            1000.0, warehouse.ctx.now())
        shipment.label_printed_at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
        uow.repo.add(shipment)
        uow.commit()
    market.fail(CONFIRM, Failure(500))
    assert pusher.sweep()[order_id].startswith("failed")
    assert pusher.sweep() == {order_id: "pushed"}
    assert pusher.sweep() == {}
    posted = [seen for seen in market.requests if seen.path == CONFIRM]
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
                      (14, "channel_tracking_pushed", "ok")]
