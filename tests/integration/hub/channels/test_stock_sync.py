"""Available-to-sell pushed to the channels through the outbox: every stock change queues a
coalesced push per listing in its own transaction, the push carries the newest figure, and a
failing channel is retried with backoff until it accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.adapters import orm
from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.service_layer.channels.push_dispatcher import ChannelPushDispatcher
from tests.integration.hub.channels.marketplace_server import Failure, MarketplaceServer
from tests.integration.hub.conftest import ADDRESS

SHOPIFY_SET = "/admin/api/2024-01/inventory_levels/set.json"
EBAY_BULK = "/sell/inventory/v1/bulk_update_price_quantity"


@pytest.fixture
def market() -> Iterator[MarketplaceServer]:
    with MarketplaceServer() as server:
        yield server


class Clock:
    """The hub's clock, moved by the test (backoff is measured on it)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def make_dispatcher(hub: Hub, market: MarketplaceServer) -> ChannelPushDispatcher:
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0)
    return ChannelPushDispatcher(hub.uow, hub.ctx, {
        "shopify": (ShopifyAdapter("905684977"), http), "ebay": (EbayAdapter(), http)})


def pushes(market: MarketplaceServer, path: str) -> list[Any]:
    return [seen.body for seen in market.requests if seen.method == "POST" and seen.path == path]


def pending_stock_rows(hub: Hub) -> list[Any]:
    o = orm.outbox.c
    with hub.uow(read_only=True) as uow:
        return list(uow.session.execute(orm.outbox.select().where(
            o.kind == "channel_stock", o.dispatched_at.is_(None)).order_by(o.topic)))


def expected_available(hub: Hub, sku: str, buffer: int) -> int:
    """on_hand - reserved - demand of orders waiting for release - buffer, from the raw
    balances and orders (not through the code under test)."""
    with hub.uow(read_only=True) as uow:
        free = sum(row.on_hand - row.reserved for row in uow.repo.balances(sku))
        waiting = sum(line.qty for order in uow.repo.list_orders(None, 1000, 0)
                      if order.status in ("held", "ready") for line in order.lines
                      if line.sku == sku)
    return max(0, free - waiting - buffer)


def order(ref: str, qty: int) -> commands.CreateOrder:
    return commands.CreateOrder(channel="web", channel_ref=ref, payment_status="paid",
                                lines=[commands.NewLine("MUG", qty)], ship_to=ADDRESS)


def test_every_change_queues_one_coalesced_push_per_listing(
        warehouse: Hub, market: MarketplaceServer) -> None:
    # MUG: 5 on hand. Shopify keeps 2 back, eBay none.
    warehouse.handle(cc.TrackChannelStock("shopify", "808950810", "MUG", buffer=2))
    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    dispatcher = make_dispatcher(warehouse, market)
    first = dispatcher.dispatch_once()
    assert sorted(first.pushed) == [("ebay", "MUG", 5), ("shopify", "808950810", 3)]
    assert pushes(market, EBAY_BULK) == [
        {"requests": [{"sku": "MUG", "shipToLocationAvailability": {"quantity": 5}}]}]
    assert pushes(market, SHOPIFY_SET) == [
        {"location_id": "905684977", "inventory_item_id": "808950810", "available": 3}]
    assert pending_stock_rows(warehouse) == []
    assert dispatcher.dispatch_once().pushed == []  # nothing queued: nothing sent

    # changes between two passes: an order released (reserve), one waiting for release,
    # a receipt, an adjustment; and a TEE receipt that touches no MUG listing
    released, _ = warehouse.handle(order("W-1", 1))
    warehouse.handle(commands.ReleaseOrder(released))
    warehouse.handle(order("W-2", 2))
    warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", 6))
    warehouse.handle(commands.AdjustStock("MUG", "A01-01-A", -1, "damaged"))
    warehouse.handle(commands.ReceiveStock("TEE", "A01-02-A", 1))  # no MUG listing touched
    rows = pending_stock_rows(warehouse)
    assert [row.topic for row in rows] == ["ebay/MUG", "shopify/808950810"]  # one per listing
    assert [json.loads(row.payload)["changes"] for row in rows] == [5, 5]

    second = dispatcher.dispatch_once()
    # 5 + 6 - 1 on hand, 1 reserved, 2 waiting: 7 for eBay, 5 for Shopify (buffer 2)
    assert expected_available(warehouse, "MUG", 0) == 7
    assert sorted(second.pushed) == [("ebay", "MUG", 7), ("shopify", "808950810", 5)]
    assert len(pushes(market, SHOPIFY_SET)) == len(pushes(market, EBAY_BULK)) == 2
    assert pushes(market, SHOPIFY_SET)[-1]["available"] == expected_available(
        warehouse, "MUG", 2) == 5
    assert pending_stock_rows(warehouse) == []


def test_an_unchanged_figure_is_not_sent_again(warehouse: Hub,
                                               market: MarketplaceServer) -> None:
    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    dispatcher = make_dispatcher(warehouse, market)
    dispatcher.dispatch_once()
    warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", 2))
    warehouse.handle(commands.AdjustStock("MUG", "A01-01-A", -2, "recount"))
    report = dispatcher.dispatch_once()
    assert (report.pushed, report.unchanged) == ([], [("ebay", "MUG")])
    assert len(pushes(market, EBAY_BULK)) == 1 and pending_stock_rows(warehouse) == []


def test_a_failing_channel_is_retried_with_backoff_until_it_accepts(
        warehouse: Hub, market: MarketplaceServer) -> None:
    clock = Clock()
    warehouse.ctx.now = clock
    warehouse.handle(cc.TrackChannelStock("shopify", "808950810", "MUG", buffer=1))
    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    market.fail(SHOPIFY_SET, Failure(500), Failure(503), Failure(429))
    dispatcher = make_dispatcher(warehouse, market)
    backoff_s = warehouse.settings.channel_backoff_s

    first = dispatcher.dispatch_once()
    assert first.failed == [("shopify", "808950810")]
    assert first.pushed == [("ebay", "MUG", 5)]  # one failing channel holds no other back
    for attempt in (1, 2):
        # changes keep arriving while the channel is down: they join the waiting push
        warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", attempt))
        early = dispatcher.dispatch_once()
        assert early.waiting == 1 and early.failed == []  # not due yet: nothing sent
        clock.advance(backoff_s * 2 ** (attempt - 1))  # 1 s, then 2 s
        retried = dispatcher.dispatch_once()
        assert retried.failed == [("shopify", "808950810")]
    warehouse.handle(order("W-9", 2))  # demand waiting for release, while in backoff
    clock.advance(backoff_s * 4)
    last = dispatcher.dispatch_once()

    wanted = expected_available(warehouse, "MUG", 1)
    assert wanted == 5 + 1 + 2 - 2 - 1
    assert ("shopify", "808950810", wanted) in last.pushed
    shopify = pushes(market, SHOPIFY_SET)
    assert len(shopify) == 4  # three refused, one accepted: no push per change
    assert shopify[-1] == {"location_id": "905684977", "inventory_item_id": "808950810",
                           "available": wanted}
    # eBay, which accepts, got each pass's figure meanwhile
    assert [body["requests"][0]["shipToLocationAvailability"]["quantity"]
            for body in pushes(market, EBAY_BULK)] == [5, 6, 8, 6]
    assert pending_stock_rows(warehouse) == []
    o = orm.outbox.c
    with warehouse.uow(read_only=True) as uow:
        row = uow.session.execute(orm.outbox.select().where(
            o.kind == "channel_stock", o.topic == "shopify/808950810")).one()
    assert (row.attempts, row.last_error) == (4, None)  # acknowledged on the fourth try


def test_amazon_stock_goes_through_the_feeds_api(warehouse: Hub,
                                                 market: MarketplaceServer) -> None:
    warehouse.handle(cc.TrackChannelStock("amazon", "CBA_OTF_1", "TEE", buffer=1))
    http = ChannelHttp(market.url, "tok", timeout_s=2, max_retries=0, backoff_s=0,
                       auth_header="x-amz-access-token", auth_prefix="")
    dispatcher = ChannelPushDispatcher(warehouse.uow, warehouse.ctx,
                                       {"amazon": (AmazonAdapter(seller_id="SELLER1"), http)})
    assert dispatcher.dispatch_once().pushed == [("amazon", "CBA_OTF_1", 9)]  # 10, 1 kept
    create, upload, feed = market.requests
    assert (create.method, create.path) == ("POST", "/feeds/2021-06-30/documents")
    assert create.body == {"contentType": "application/json; charset=UTF-8"}
    assert (upload.method, upload.path) == ("PUT", "/upload/doc-1")
    assert "x-amz-access-token" not in upload.headers  # the pre-signed URL needs none
    assert upload.body["messages"][0]["patches"][0]["value"] == [  # type: ignore[index]
        {"fulfillment_channel_code": "DEFAULT", "quantity": 9}]
    assert feed.body == {"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": ["ATVPDKIKX0DER"],
                         "inputFeedDocumentId": "doc-1"}


def test_shorts_queue_pushes_and_picks_of_reserved_stock_do_not(
        warehouse: Hub, market: MarketplaceServer) -> None:
    from edge.wire import messages as wire
    from tests.integration.hub.analytics_flow import ZONE, send

    warehouse.handle(cc.TrackChannelStock("ebay", "TEE", "TEE"))
    dispatcher = make_dispatcher(warehouse, market)
    assert dispatcher.dispatch_once().pushed == [("ebay", "TEE", 10)]
    order_id, _ = warehouse.handle(commands.CreateOrder(
        channel="web", channel_ref="P-1", payment_status="paid",
        lines=[commands.NewLine("TEE", 4)], ship_to=ADDRESS))
    warehouse.handle(commands.ReleaseOrder(order_id))
    assert dispatcher.dispatch_once().pushed == [("ebay", "TEE", 6)]
    with warehouse.uow() as uow:
        task = uow.repo.tasks_for_order(order_id)[0]
        common = {"task_id": task.id, "pick_id": task.picks[0].id, "order_id": order_id,
                  "sku": "TEE", "location": task.picks[0].location}
    seen: list[tuple[str, list[Any], list[Any]]] = []
    for name, model, fields in [
            ("pick", wire.PickConfirmed, {"qty": 1, "method": "scan"}),
            ("short", wire.PickShort, {"qty_picked": 1, "qty_short": 2})]:
        send(warehouse, ZONE, model, **fields, **common)
        queued = [row.topic for row in pending_stock_rows(warehouse)]
        report = dispatcher.dispatch_once()
        seen.append((name, queued, report.pushed or report.unchanged))
    # a pick takes a reserved unit off the shelf: on_hand and reserved fall together, nothing
    # more or less to sell, so nothing is queued; a short gives the two units it could not
    # find back to sale (the hub's rule)
    assert seen == [("pick", [], []),
                    ("short", ["ebay/TEE"], [("ebay", "TEE", 8)])]
    assert expected_available(warehouse, "TEE", 0) == 8


def test_a_running_hub_pushes_after_each_change_until_the_channel_accepts(
        sqlite_url: str, market: MarketplaceServer) -> None:
    """The hub as it runs: its outbox dispatcher sends the pushes on its own thread."""
    import time

    from hub.bootstrap import bootstrap
    from hub.config import Settings
    from tests.integration.hub.conftest import LOCATIONS, SKUS

    hub = bootstrap(Settings(database_url=sqlite_url, site="t-push", embedded_broker_port=0,
                             shopify_base_url=market.url, shopify_location_id="905684977",
                             shopify_access_token="tok",  # type: ignore[arg-type]
                             channel_backoff_s=0.05), start_messaging=True)
    try:
        for sku in SKUS:
            hub.handle(commands.AddSku(*sku))
        for location in LOCATIONS:
            hub.handle(commands.AddLocation(*location))
        market.fail(SHOPIFY_SET, Failure(500), Failure(502), Failure(500))
        hub.handle(cc.TrackChannelStock("shopify", "808950810", "MUG", buffer=1))
        hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 7))
        hub.handle(order("R-1", 2))
        wanted = expected_available(hub, "MUG", 1)
        assert wanted == 4
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
                pending_stock_rows(hub) or not any(seen.answered == 200 for seen in
                                                   market.requests)):
            time.sleep(0.05)
    finally:
        hub.stop()
    accepted = [seen.body for seen in market.requests if seen.answered == 200]
    refused = [seen for seen in market.requests if seen.answered >= 500]
    assert len(refused) == 3 and 1 <= len(accepted) <= 3  # at most one per change
    assert accepted[-1] == {
        "location_id": "905684977", "inventory_item_id": "808950810", "available": wanted}
    assert market.requests[0].headers["x-shopify-access-token"] == "tok"


def test_a_change_that_is_refused_queues_nothing(warehouse: Hub) -> None:
    from hub.errors import HubError

    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    with warehouse.uow() as uow:  # the listing's first push, as if it had been sent
        uow.session.execute(orm.outbox.update().values(dispatched_at=warehouse.ctx.now()))
        uow.commit()
    with pytest.raises(HubError):
        warehouse.handle(commands.AdjustStock("MUG", "A01-01-A", -9, "recount"))
    assert pending_stock_rows(warehouse) == []  # the push lives and dies with the change
    warehouse.handle(commands.AdjustStock("MUG", "A01-01-A", -1, "recount"))
    assert [row.topic for row in pending_stock_rows(warehouse)] == ["ebay/MUG"]


def test_a_change_during_a_push_is_pushed_next(warehouse: Hub,
                                               market: MarketplaceServer) -> None:
    """The channel is slow: a receipt commits while the push is in flight (no lock is held
    across the HTTP call); the push settles nothing it did not carry, and the next pass
    sends the newer figure."""
    import threading
    import time

    warehouse.handle(cc.TrackChannelStock("ebay", "MUG", "MUG"))
    market.fail(EBAY_BULK, Failure(200, stall_s=1.0))  # accepted, slowly
    dispatcher = make_dispatcher(warehouse, market)
    reports = []
    worker = threading.Thread(target=lambda: reports.append(dispatcher.dispatch_once()))
    worker.start()
    deadline = time.monotonic() + 10
    while not market.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    committed_in = time.monotonic() - started
    worker.join(timeout=10)
    assert reports[0].pushed == [("ebay", "MUG", 5)]
    assert committed_in < 0.9  # did not wait for the slow channel
    assert [row.topic for row in pending_stock_rows(warehouse)] == ["ebay/MUG"]
    assert dispatcher.dispatch_once().pushed == [("ebay", "MUG", 8)]
    assert pending_stock_rows(warehouse) == []


def test_pushes_for_a_channel_not_configured_wait_untouched(
        warehouse: Hub, market: MarketplaceServer) -> None:
    warehouse.handle(cc.TrackChannelStock("woocommerce", "93", "TEE"))
    warehouse.handle(cc.TrackChannelStock("ebay", "TEE", "TEE"))
    report = make_dispatcher(warehouse, market).dispatch_once()  # shopify and eBay only
    assert (report.pushed, report.failed) == ([("ebay", "TEE", 10)], [])
    (waiting,) = pending_stock_rows(warehouse)
    assert (waiting.topic, waiting.attempts, waiting.last_error) == ("woocommerce/93", 0, None)
