"""Polling Amazon and eBay over real HTTP against a local server with the published samples:
persisted cursor, overlap, duplicates, 401, 429 with Retry-After, 500s and timeouts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.http import ChannelApiError, ChannelAuthError, ChannelHttp
from hub.adapters.channels.polling import AmazonOrdersConnector, EbayOrdersConnector
from hub.bootstrap import Hub
from hub.domain import commands
from hub.service_layer.channels.polling import PollReport, cursor_name, poll_once
from tests.integration.hub.channels.marketplace_server import Failure, MarketplaceServer
from tests.integration.hub.channels.support import map_samples

GET_ORDERS = "/orders/v0/orders"


@pytest.fixture
def market() -> MarketplaceServer:
    with MarketplaceServer() as server:
        yield server  # type: ignore[misc]


def amazon(server: MarketplaceServer, retries: int = 4, timeout_s: float = 2.0
           ) -> AmazonOrdersConnector:
    return AmazonOrdersConnector(ChannelHttp(server.url, "tok", timeout_s=timeout_s,
                                             max_retries=retries, backoff_s=0.05,
                                             auth_header="x-amz-access-token", auth_prefix=""),
                                 ["ATVPDKIKX0DER"])


def poll(hub: Hub, connector: AmazonOrdersConnector | EbayOrdersConnector) -> PollReport:
    return poll_once(connector, hub.handle, hub.uow, hub.ctx)


def set_cursor(hub: Hub, channel: str, value: str) -> None:
    with hub.uow() as uow:
        ChannelRepository(uow.session).set_cursor(cursor_name(channel), value, hub.ctx.now())
        uow.commit()


def cursor(hub: Hub, channel: str) -> str | None:
    with hub.uow(read_only=True) as uow:
        return ChannelRepository(uow.session).cursor(cursor_name(channel))


def order_count(hub: Hub) -> int:
    with hub.uow(read_only=True) as uow:
        return len(uow.repo.list_orders(None, 500, 0))


def test_amazon_poll_moves_the_cursor_and_stores_each_order_once(
        warehouse: Hub, market: MarketplaceServer) -> None:
    map_samples(warehouse)
    set_cursor(warehouse, "amazon", "2017-01-01T00:00:00+00:00")
    first = poll(warehouse, amazon(market))
    assert dict(first.statuses) == {"created": 1}
    assert cursor(warehouse, "amazon") == "2017-01-20T19:49:35+00:00"
    listing = market.requests[0]
    assert listing.query["LastUpdatedAfter"] == ["2016-12-31T23:55:00Z"]  # 5 min overlap
    assert listing.query["MarketplaceIds"] == ["ATVPDKIKX0DER"]
    assert listing.headers["x-amz-access-token"] == "tok"
    # the sample repeats its NextToken: each list is walked twice, then the repeat stops it
    assert market.paths() == [GET_ORDERS, "/orders/v0/orders/902-3159896-1390916/orderItems",
                              "/orders/v0/orders/902-3159896-1390916/orderItems",
                              "/orders/v0/orders/902-3159896-1390916/address", GET_ORDERS]
    with warehouse.uow(read_only=True) as uow:
        (order,) = uow.repo.list_orders(None, 10, 0)
        assert [(line.sku, line.qty) for line in order.lines] == [("MUG", 1), ("TEE", 2)]
    second = poll(warehouse, amazon(market))
    assert dict(second.statuses) == {"duplicate": 1}
    assert market.requests[5].query["LastUpdatedAfter"] == ["2017-01-20T19:44:35Z"]
    assert order_count(warehouse) == 1


def test_429_retry_after_500_and_timeout_are_retried(warehouse: Hub,
                                                     market: MarketplaceServer) -> None:
    map_samples(warehouse)
    market.fail(GET_ORDERS, Failure(429, {"Retry-After": "1"}), Failure(500),
                Failure(200, stall_s=3.0))
    report = poll(warehouse, amazon(market, timeout_s=1.0))
    assert dict(report.statuses) == {"created": 1}
    tries = [seen for seen in market.requests if seen.path == GET_ORDERS][:4]
    assert [tries[0].answered, tries[1].answered, tries[3].answered] == [429, 500, 200]
    gaps = [later.at - earlier.at for earlier, later in pairwise(tries)]
    assert gaps[0] >= 0.95  # Retry-After: 1 honoured
    assert gaps[1] >= 0.1  # second back-off step: 0.05 * 2
    # the client timed out at 1 s (not waiting out the 3 s stall), then waited 0.05 * 4
    assert 1.0 + 0.2 <= gaps[2] < 3.0


def test_401_stops_at_once_and_keeps_the_cursor(warehouse: Hub,
                                                 market: MarketplaceServer) -> None:
    set_cursor(warehouse, "amazon", "2017-01-01T00:00:00+00:00")
    market.fail(GET_ORDERS, Failure(401))
    with pytest.raises(ChannelAuthError, match="401"):
        poll(warehouse, amazon(market))
    assert market.paths() == [GET_ORDERS]
    assert cursor(warehouse, "amazon") == "2017-01-01T00:00:00+00:00"
    assert order_count(warehouse) == 0


def test_persistent_500_gives_up_then_the_next_poll_recovers(
        warehouse: Hub, market: MarketplaceServer) -> None:
    map_samples(warehouse)
    set_cursor(warehouse, "amazon", "2017-01-01T00:00:00+00:00")
    market.fail(GET_ORDERS, *[Failure(503)] * 3)
    with pytest.raises(ChannelApiError, match="gave up after 3 attempts"):
        poll(warehouse, amazon(market, retries=2))
    assert cursor(warehouse, "amazon") == "2017-01-01T00:00:00+00:00"
    assert dict(poll(warehouse, amazon(market)).statuses) == {"created": 1}


def test_ebay_poll_follows_next_on_our_base_url(warehouse: Hub,
                                                market: MarketplaceServer) -> None:
    map_samples(warehouse)
    set_cursor(warehouse, "ebay", "2023-01-01T00:00:00+00:00")
    connector = EbayOrdersConnector(ChannelHttp(market.url, "tok", timeout_s=2,
                                                backoff_s=0.05))
    report = poll(warehouse, connector)
    assert dict(report.statuses) == {"created": 1}
    first, second = market.requests
    assert first.query["filter"][0].startswith("lastmodifieddate:[")
    assert first.headers["authorization"] == "Bearer tok"
    assert (second.path, second.query) == ("/sell/fulfillment/v1/order",
                                           {"limit": ["200"], "offset": ["200"]})
    assert report.cursor == datetime(2023, 8, 2, 8, 35, 1, tzinfo=UTC)
    assert cursor(warehouse, "ebay") == "2023-08-02T08:35:01+00:00"
    assert first.query["filter"] == ["lastmodifieddate:[2022-12-31T23:55:00Z..]"]
    assert dict(poll(warehouse, connector).statuses) == {"duplicate": 1}
    assert order_count(warehouse) == 1


def test_overlapping_polls_at_the_same_time_store_one_order(
        warehouse: Hub, market: MarketplaceServer) -> None:
    map_samples(warehouse)
    reports: list[PollReport] = []
    threads = [threading.Thread(target=lambda: reports.append(poll(warehouse, amazon(market))))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sum((report.statuses for report in reports), start=type(reports[0].statuses)())
    assert dict(statuses) == {"created": 1, "duplicate": 2}
    assert order_count(warehouse) == 1


def test_hub_workers_poll_from_settings(sqlite_url: str, market: MarketplaceServer) -> None:
    from hub.bootstrap import bootstrap
    from hub.config import Settings
    from hub.service_layer.channels.workers import ChannelWorkers
    from tests.integration.hub.conftest import SKUS

    hub = bootstrap(Settings(database_url=sqlite_url, amazon_base_url=market.url,
                             amazon_access_token="tok",  # type: ignore[arg-type]
                             channel_poll_interval_s=0.1))
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    map_samples(hub)
    workers = ChannelWorkers(hub)
    workers.start()
    try:
        deadline = time.monotonic() + 10
        while order_count(hub) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        workers.stop()
        hub.stop()
    assert order_count(hub) == 1
    assert market.requests[0].headers["x-amz-access-token"] == "tok"
