"""Available-to-sell pushed to the channels over HTTP: per-channel buffers, unreleased orders
counted, coalescing, and retry until the channel acknowledges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.service_layer.channels.stock_sync import StockSync
from tests.integration.hub.channels.marketplace_server import Failure, MarketplaceServer
from tests.integration.hub.conftest import ADDRESS

SHOPIFY_SET = "/admin/api/2024-01/inventory_levels/set.json"
EBAY_BULK = "/sell/inventory/v1/bulk_update_price_quantity"


@pytest.fixture
def market() -> Iterator[MarketplaceServer]:
    with MarketplaceServer() as server:
        yield server


def make_sync(hub: Hub, market: MarketplaceServer) -> StockSync:
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0)
    return StockSync(hub.uow, hub.ctx, {"shopify": (ShopifyAdapter("905684977"), http),
                                        "ebay": (EbayAdapter(), http)})


def pushes(market: MarketplaceServer) -> list[tuple[str, object]]:
    return [(seen.path, seen.body) for seen in market.requests if seen.method == "POST"]


def test_available_to_sell_per_channel_is_pushed_coalesced_and_retried(
        warehouse: Hub, market: MarketplaceServer) -> None:
    # MUG: 5 on hand. Shopify keeps 2 back, eBay none.
    warehouse.handle(cc.TrackChannelStock("shopify", "808950810", "MUG", buffer=2))
    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    sync = make_sync(warehouse, market)
    first = sync.run_once()
    assert sorted(first.pushed) == [("ebay", "MUG", 5), ("shopify", "808950810", 3)]
    assert pushes(market) == [
        (EBAY_BULK, {"requests": [{"sku": "MUG", "shipToLocationAvailability": {"quantity": 5}}]}),
        (SHOPIFY_SET, {"location_id": "905684977", "inventory_item_id": "808950810",
                       "available": 3})]
    assert sync.run_once().pushed == []  # nothing changed: nothing sent

    # three changes between passes: an order waiting for release, a receipt, an adjustment
    warehouse.handle(commands.CreateOrder(channel="web", channel_ref="W-1",
                                          lines=[commands.NewLine("MUG", 4)], ship_to=ADDRESS))
    warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", 1))
    warehouse.handle(commands.AdjustStock("MUG", "A01-01-A", -1, "damaged"))
    market.fail(SHOPIFY_SET, Failure(500))
    second = sync.run_once()
    assert second.pushed == [("ebay", "MUG", 1)]  # only the newest value, once
    assert second.failed == [("shopify", "808950810")]
    third = sync.run_once()  # the failed push is retried; max(0, 1 - 2) = 0
    assert third.pushed == [("shopify", "808950810", 0)]
    assert [body for path, body in pushes(market) if path == SHOPIFY_SET][-1] == {
        "location_id": "905684977", "inventory_item_id": "808950810", "available": 0}
    assert sync.run_once().pushed == []


def test_amazon_stock_goes_through_the_feeds_api(warehouse: Hub,
                                                 market: MarketplaceServer) -> None:
    warehouse.handle(cc.TrackChannelStock("amazon", "CBA_OTF_1", "TEE", buffer=1))
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0,
                       auth_header="x-amz-access-token", auth_prefix="")
    sync = StockSync(warehouse.uow, warehouse.ctx,
                     {"amazon": (AmazonAdapter(seller_id="SELLER1"), http)})
    assert sync.run_once().pushed == [("amazon", "CBA_OTF_1", 9)]  # TEE: 10 on hand, 1 kept
    create, upload, feed = market.requests
    assert (create.method, create.path) == ("POST", "/feeds/2021-06-30/documents")
    assert create.body == {"contentType": "application/json; charset=UTF-8"}
    assert (upload.method, upload.path) == ("PUT", "/upload/doc-1")
    assert "x-amz-access-token" not in upload.headers  # the pre-signed URL needs none
    assert upload.body["messages"][0]["patches"][0]["value"] == [  # type: ignore[index]
        {"fulfillment_channel_code": "DEFAULT", "quantity": 9}]
    assert feed.body == {"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": ["ATVPDKIKX0DER"],
                         "inputFeedDocumentId": "doc-1"}
