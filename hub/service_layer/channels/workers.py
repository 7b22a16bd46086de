"""The channel background work of a running hub: marketplace polling and stock sync, built
from settings (a channel takes part when its base URL and credentials are set)."""

from __future__ import annotations

import base64
import threading
from typing import Any

import structlog

from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter, WooCommerceAdapter
from hub.adapters.channels.base import ChannelAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.config import Settings
from hub.service_layer.channels.polling import ChannelPoller, connectors_from_settings
from hub.service_layer.channels.stock_sync import StockSync
from hub.service_layer.channels.tracking import TrackingPusher

log = structlog.get_logger(__name__)


def push_clients(settings: Settings) -> dict[str, tuple[ChannelAdapter, ChannelHttp]]:
    common: dict[str, Any] = {"timeout_s": settings.channel_http_timeout_s,
                              "max_retries": settings.channel_max_retries,
                              "backoff_s": settings.channel_backoff_s}
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
    """Polling on one thread; stock levels and tracking pushed on another."""

    def __init__(self, hub: Any) -> None:  # hub.bootstrap.Hub (imported lazily: no cycle)
        settings: Settings = hub.settings
        self.interval_s = settings.channel_poll_interval_s
        self.poller = ChannelPoller(connectors_from_settings(settings), hub.handle, hub.uow,
                                    hub.ctx)
        clients = push_clients(settings)
        self.stock = StockSync(hub.uow, hub.ctx, clients)
        self.tracking = TrackingPusher(hub.uow, hub.ctx, clients)
        self._stop = threading.Event()
        self._pusher = threading.Thread(target=self._push_loop, name="channel-push",
                                        daemon=True)

    def start(self) -> None:
        if self.poller.connectors:
            self.poller.start()
        if self.stock.channels:
            self._pusher.start()

    def stop(self) -> None:
        self._stop.set()
        if self.poller.connectors:
            self.poller.stop()
        if self._pusher.is_alive():
            self._pusher.join(timeout=10)

    def _push_loop(self) -> None:
        while not self._stop.is_set():
            for name, step in (("stock", self.stock.run_once), ("tracking", self.tracking.sweep)):
                try:
                    step()
                except Exception:
                    log.exception("channel_push_failed", part=name)
            self._stop.wait(self.interval_s)
