"""The channel background work of a running hub, built from settings (a channel takes part
when its base URL and credentials are set): marketplace polling here, and the HTTP clients
the outbox's channel push dispatcher uses for stock levels and tracking."""

from __future__ import annotations

import base64
from typing import Any

import structlog

from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter, WooCommerceAdapter
from hub.adapters.channels.base import ChannelAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.config import Settings
from hub.service_layer.channels.polling import ChannelPoller, connectors_from_settings

log = structlog.get_logger(__name__)


def push_clients(settings: Settings) -> dict[str, tuple[ChannelAdapter, ChannelHttp]]:
    """Clients that try once: the outbox retries with backoff without blocking its thread."""
    common: dict[str, Any] = {"timeout_s": settings.channel_http_timeout_s,
                              "max_retries": 0, "backoff_s": settings.channel_backoff_s}
    clients: dict[str, tuple[ChannelAdapter, ChannelHttp]] = {}
    if settings.shopify_base_url and settings.shopify_access_token:
        clients["shopify"] = (ShopifyAdapter(settings.shopify_location_id), ChannelHttp(
            settings.shopify_base_url, settings.shopify_access_token.get_secret_value(),
            auth_header="X-Shopify-Access-Token", auth_prefix="", **common))
    if settings.woocommerce_base_url and settings.woocommerce_api_auth:
        basic = base64.b64encode(settings.woocommerce_api_auth.get_secret_value().encode())
        clients["woocommerce"] = (WooCommerceAdapter(), ChannelHttp(
            settings.woocommerce_base_url, basic.decode(), auth_prefix="Basic ", **common))
    if settings.amazon_access_token:
        clients["amazon"] = (AmazonAdapter(settings.amazon_marketplace_ids.split(",")[0]),
                             ChannelHttp(settings.amazon_base_url,
                                         settings.amazon_access_token.get_secret_value(),
                                         auth_header="x-amz-access-token", auth_prefix="",
                                         **common))
    if settings.ebay_access_token:
        clients["ebay"] = (EbayAdapter(), ChannelHttp(
            settings.ebay_base_url, settings.ebay_access_token.get_secret_value(), **common))
    return clients


class ChannelWorkers:
    """Marketplace polling on its own thread (pushes leave through the outbox)."""

    def __init__(self, hub: Any) -> None:  # hub.bootstrap.Hub (imported lazily: no cycle)
        settings: Settings = hub.settings
        self.poller = ChannelPoller(connectors_from_settings(settings), hub.handle, hub.uow,
                                    hub.ctx)

    def start(self) -> None:
        if self.poller.connectors:
            self.poller.start()

    def stop(self) -> None:
        if self.poller.connectors:
            self.poller.stop()
