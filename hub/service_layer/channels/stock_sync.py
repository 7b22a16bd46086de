"""Stock sync: available-to-sell per SKU per channel listing, pushed to the channels.

available-to-sell = on_hand - reserved - demand of orders not yet released - the listing's
buffer (never below 0). Orders reserve stock only on release, so the demand of orders
waiting for release is counted too, or two channels would sell the same unit.

``channel_stock`` is a coalescing outbox: each pass recomputes the wanted value of every
tracked listing; only the newest value of a listing is pushed, and it stays dirty until the
channel answered 2xx, so a failed push is retried on the next pass.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.base import ChannelAdapter
from hub.adapters.channels.ebay import BULK_LIMIT
from hub.adapters.channels.http import ChannelHttp
from hub.domain import channel_commands as cc
from hub.errors import HubError, NotFound
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
BATCH = {"shopify": 1, "ebay": BULK_LIMIT, "woocommerce": 100, "amazon": 1000}


def track_stock(cmd: cc.TrackChannelStock, uow: UnitOfWork, ctx: HubContext) -> None:
    if uow.repo.get_sku(cmd.sku) is None:
        raise NotFound(f"SKU {cmd.sku!r} not found")
    ChannelRepository(uow.session).track_stock(cmd.channel, cmd.listing_key, cmd.sku,
                                               cmd.buffer, ctx.now())
    uow.commit()


@dataclass
class SyncReport:
    changed: int = 0
    pushed: list[tuple[str, str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class StockSync:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], ctx: HubContext,
                 channels: dict[str, tuple[ChannelAdapter, ChannelHttp]]) -> None:
        self.uow_factory = uow_factory
        self.ctx = ctx
        self.channels = channels
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stock-sync", daemon=True)

    def refresh(self) -> int:
        """Recompute available-to-sell of every tracked listing; returns how many changed."""
        with self.uow_factory() as uow:
            repo = ChannelRepository(uow.session)
            rows = repo.stock_rows()
            free = repo.free_stock(sorted({row.sku for row in rows}))
            changed = sum(repo.want_stock(row.channel, row.listing_key,
                                          max(0, free[row.sku] - row.buffer), self.ctx.now())
                          for row in rows)
            uow.commit()
        return changed

    def push(self) -> SyncReport:
        report = SyncReport()
        with self.uow_factory() as uow:
            dirty = ChannelRepository(uow.session).stock_rows(dirty_only=True)
        by_channel: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for row in dirty:
            by_channel[row.channel].append((row.listing_key, row.desired))
        for channel, wanted in sorted(by_channel.items()):
            if channel not in self.channels:
                continue
            adapter, http = self.channels[channel]
            size = BATCH.get(channel, 50)
            for start in range(0, len(wanted), size):
                batch = dict(wanted[start:start + size])
                try:
                    adapter.send_stock(http, batch)
                except HubError as exc:
                    self._mark(channel, batch, error=exc.detail)
                    report.failed.extend((channel, key) for key in batch)
                    log.warning("stock_push_failed", channel=channel, error=exc.detail)
                    continue
                self._mark(channel, batch)
                report.pushed.extend((channel, key, qty) for key, qty in batch.items())
        return report

    def _mark(self, channel: str, batch: dict[str, int], error: str | None = None) -> None:
        with self.uow_factory() as uow:
            repo = ChannelRepository(uow.session)
            for key, qty in batch.items():
                if error is None:
                    repo.stock_pushed(channel, key, qty, self.ctx.now())
                else:
                    repo.stock_push_failed(channel, key, error, self.ctx.now())
            uow.commit()

    def run_once(self) -> SyncReport:
        changed = self.refresh()
        report = self.push()
        report.changed = changed
        return report

    # --- background ----------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("stock_sync_failed")
            self._wake.wait(self.ctx.settings.channel_poll_interval_s)
            self._wake.clear()
