"""A channel cancels an order: applied while the order waits for release (its demand stops
counting and the new available-to-sell is pushed), flagged once it was released."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hub.adapters.channels import EbayAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.errors import InvalidTransition
from hub.service_layer.channels.intake import IngestResult
from hub.service_layer.channels.push_dispatcher import ChannelPushDispatcher
from tests.integration.hub.channels.marketplace_server import MarketplaceServer
from tests.integration.hub.channels.support import map_samples, raw, shopify_body, woo_body


@pytest.fixture
def market() -> Iterator[MarketplaceServer]:
    with MarketplaceServer() as server:
        yield server


def ingest(hub: Hub, channel: str, payload: str | bytes) -> IngestResult:
    text = payload.decode() if isinstance(payload, bytes) else payload
    result: IngestResult = hub.handle(cc.IngestChannelOrder(channel, text))
    return result


def status_and_timeline(hub: Hub, order_id: str) -> tuple[str, list[tuple[str, str]]]:
    with hub.uow(read_only=True) as uow:
        order = uow.repo.get_order(order_id)
        assert order is not None
        return order.status, [(e.name, e.outcome) for e in uow.repo.timeline(order_id)]


def test_cancel_before_release_applies_and_gives_the_stock_back_to_sale(
        warehouse: Hub, market: MarketplaceServer) -> None:
    map_samples(warehouse)
    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0)
    dispatcher = ChannelPushDispatcher(warehouse.uow, warehouse.ctx,
                                       {"ebay": (EbayAdapter(), http)})
    created = ingest(warehouse, "shopify", shopify_body())  # wants 1 MUG
    assert created.status == "created" and created.order_id is not None
    assert dispatcher.dispatch_once().pushed == [("ebay", "MUG", 4)]

    data = json.loads(shopify_body())
    order = data.get("order", data)
    order["cancelled_at"] = "2008-01-10T12:00:00-05:00"
    order["updated_at"] = "2008-01-10T12:00:00-05:00"
    cancelled = ingest(warehouse, "shopify", json.dumps(data))
    assert cancelled.status == "cancelled"
    status, timeline = status_and_timeline(warehouse, created.order_id)
    assert status == "cancelled"
    assert ("order_cancelled", "cancelled_by_channel") in timeline
    assert dispatcher.dispatch_once().pushed == [("ebay", "MUG", 5)]  # back to sale
    assert ingest(warehouse, "shopify", json.dumps(data)).status == "duplicate"
    with pytest.raises(InvalidTransition, match="cannot be released"):
        warehouse.handle(commands.ReleaseOrder(created.order_id))


def test_cancel_after_release_is_flagged_not_applied(warehouse: Hub) -> None:
    map_samples(warehouse)
    created = ingest(warehouse, "woocommerce", woo_body())
    assert created.order_id is not None
    warehouse.handle(commands.ReleaseOrder(created.order_id))
    with warehouse.uow(read_only=True) as uow:
        reserved = {(row.sku, row.location): row.reserved for row in uow.repo.balances()}
    flagged = ingest(warehouse, "woocommerce", woo_body(
        status="cancelled", date_modified_gmt="2017-03-23T10:00:00"))
    assert flagged.status == "flagged" and "released" in (flagged.reason or "")
    status, timeline = status_and_timeline(warehouse, created.order_id)
    assert status == "released"
    assert ("channel_update_flagged", "update_after_release") in timeline
    with warehouse.uow(read_only=True) as uow:  # the reservations stand: picking goes on
        assert {(row.sku, row.location): row.reserved
                for row in uow.repo.balances()} == reserved


def test_a_cancel_request_still_open_is_flagged_for_review(warehouse: Hub) -> None:
    map_samples(warehouse)
    page = json.loads(raw("ebay_sell_fulfillment_getOrders_response_anonymized"))
    first = page["orders"][0]
    created = ingest(warehouse, "ebay", json.dumps(first))
    assert created.order_id is not None
    first["cancelStatus"] = {"cancelState": "IN_PROGRESS"}
    first["lastModifiedDate"] = "2099-01-01T00:00:00.000Z"
    flagged = ingest(warehouse, "ebay", json.dumps(first))
    assert flagged.status == "flagged"
    status, timeline = status_and_timeline(warehouse, created.order_id)
    assert status in ("held", "ready")
    assert ("channel_update_flagged", "needs_review") in timeline
