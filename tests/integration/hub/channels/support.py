"""Helpers for the channel tests: the published samples and a warehouse that sells them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from tests.unit.hub.channels.samples import raw, sample


def amazon_payload(**order_changes: Any) -> str:
    order = sample("amazon_spapi_orders_v0_getOrders_doc_example")["payload"]["Orders"][0]
    order.update(order_changes)
    return json.dumps({
        "order": order,
        "items": sample("amazon_spapi_orders_v0_getOrderItems_doc_example")["payload"][
            "OrderItems"],
        "address": sample("amazon_spapi_orders_v0_getOrderAddress_doc_example")["payload"]},
        default=str)


def map_samples(hub: Hub) -> None:
    """Map every sample's lines to the warehouse's MUG and TEE (SKU, listing and GTIN)."""
    for listing, sku in [("IPOD2008GREEN", "MUG"), ("IPOD2008RED", "TEE"),
                         ("IPOD2008BLACK", "TEE")]:
        hub.handle(cc.MapListing("shopify", listing, sku))
    hub.handle(cc.MapListing("woocommerce", "93", "TEE"))  # a line without a SKU
    hub.handle(cc.MapListing("woocommerce", "Bar3", "MUG"))
    hub.handle(cc.MapListing("amazon", "CBA_OTF_1", "MUG"))
    hub.handle(cc.MapListing("amazon", "BCTU1104UEFB", "TEE"))  # by ASIN
    hub.handle(cc.MapListing("ebay", "2********1", "MUG"))


def shopify_body() -> bytes:
    return raw("shopify_rest_order_fixture")


def woo_body(**changes: Any) -> str:
    data = json.loads(raw("woocommerce_v3_order_retrieve_response"))
    data.update(changes)
    return json.dumps(data)


def add_stock(hub: Hub, sku: str, qty: int) -> None:
    hub.handle(commands.ReceiveStock(sku, "A01-02-A" if sku == "TEE" else "A01-01-A", qty))


__all__ = ["Decimal", "amazon_payload", "map_samples", "raw", "sample", "shopify_body",
           "woo_body"]
