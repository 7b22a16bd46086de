"""Polling connectors: Amazon SP-API getOrders (+ getOrderItems, getOrderAddress) and eBay
getOrders, each yielding the orders updated since a time, as the JSON text the intake takes.

Pagination is followed until the channel stops returning a new page; a page token or next
link seen before ends the walk (a server repeating itself must not loop us forever), and
items/orders repeated across pages are kept once.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from hub.adapters.channels.http import ChannelHttp


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PollingConnector(ABC):
    channel: str

    @abstractmethod
    def orders_since(self, since: datetime) -> Iterator[tuple[str, datetime | None]]:
        """(payload JSON for the intake, the order's last-update time) per order."""


class AmazonOrdersConnector(PollingConnector):
    channel = "amazon"

    def __init__(self, http: ChannelHttp, marketplace_ids: list[str]) -> None:
        self.http = http
        self.marketplace_ids = marketplace_ids

    def orders_since(self, since: datetime) -> Iterator[tuple[str, datetime | None]]:
        params: dict[str, Any] = {"MarketplaceIds": ",".join(self.marketplace_ids),
                                  "LastUpdatedAfter": iso(since)}
        seen_tokens: set[str] = set()
        seen_orders: set[str] = set()
        while True:
            page = self.http.request("GET", "/orders/v0/orders", params=params)["payload"]
            for order in page.get("Orders", []):
                order_id = str(order["AmazonOrderId"])
                if order_id in seen_orders:
                    continue
                seen_orders.add(order_id)
                bundle = {"order": order, "items": self._items(order_id),
                          "address": self._address(order_id)}
                updated = order.get("LastUpdateDate")
                yield (json.dumps(bundle, default=str),
                       datetime.fromisoformat(updated.replace("Z", "+00:00"))
                       if updated else None)
            token = page.get("NextToken")
            if not token or token in seen_tokens:
                return
            seen_tokens.add(token)
            params = {"MarketplaceIds": params["MarketplaceIds"], "NextToken": token}

    def _items(self, order_id: str) -> list[dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {}
        seen_tokens: set[str] = set()
        while True:
            page = self.http.request("GET", f"/orders/v0/orders/{order_id}/orderItems",
                                     params=params)["payload"]
            for item in page.get("OrderItems", []):
                items.setdefault(str(item["OrderItemId"]), item)
            token = page.get("NextToken")
            if not token or token in seen_tokens:
                return list(items.values())
            seen_tokens.add(token)
            params = {"NextToken": token}

    def _address(self, order_id: str) -> dict[str, Any] | None:
        page = self.http.request("GET", f"/orders/v0/orders/{order_id}/address")
        payload: dict[str, Any] | None = page.get("payload")
        return payload


class EbayOrdersConnector(PollingConnector):
    channel = "ebay"
    page_size = 200

    def __init__(self, http: ChannelHttp) -> None:
        self.http = http

    def orders_since(self, since: datetime) -> Iterator[tuple[str, datetime | None]]:
        path = "/sell/fulfillment/v1/order"
        params: dict[str, Any] | None = {
            "filter": f"lastmodifieddate:[{iso(since)}..]", "limit": self.page_size,
            "offset": 0}
        seen_pages: set[str] = set()
        seen_orders: set[str] = set()
        while True:
            page = self.http.request("GET", path, params=params)
            for order in page.get("orders", []):
                order_id = str(order["orderId"])
                if order_id in seen_orders:
                    continue
                seen_orders.add(order_id)
                modified = order.get("lastModifiedDate")
                yield (json.dumps(order, default=str),
                       datetime.fromisoformat(modified.replace("Z", "+00:00"))
                       if modified else None)
            link = page.get("next")
            if not link or not page.get("orders"):
                return
            path, params = self.http.local(link), None
            if path in seen_pages:
                return
            seen_pages.add(path)
