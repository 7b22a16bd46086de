"""Sales channels behind one port (base.ChannelAdapter), one module per channel."""

from __future__ import annotations

from hub.adapters.channels.amazon import AmazonAdapter
from hub.adapters.channels.base import ChannelAdapter
from hub.adapters.channels.ebay import EbayAdapter
from hub.adapters.channels.shopify import ShopifyAdapter
from hub.adapters.channels.woocommerce import WooCommerceAdapter

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "shopify": ShopifyAdapter, "woocommerce": WooCommerceAdapter, "amazon": AmazonAdapter,
    "ebay": EbayAdapter}

__all__ = ["ADAPTERS", "AmazonAdapter", "ChannelAdapter", "EbayAdapter", "ShopifyAdapter",
           "WooCommerceAdapter"]
