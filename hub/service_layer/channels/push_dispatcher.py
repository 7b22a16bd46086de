"""Sends the channel pushes that units of work left in the outbox (kinds ``channel_stock``
and ``channel_tracking``) through the channel adapters.

A pass reads the due rows in a short read transaction, talks HTTP with no transaction open
(a slow channel never holds a database lock), then settles each row in a short write
transaction. A row is marked dispatched only once the channel answered 2xx, and only if no
newer change was coalesced into it meanwhile; a failed row is retried with exponential
backoff (``retry_at`` in its payload, ``attempts``/``last_error`` on the row) until the
channel accepts. Stock values are computed when sent, so a push carries the newest figure.
Runs on its own thread so a slow channel never delays device commands.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.base import ChannelAdapter
from hub.adapters.channels.ebay import BULK_LIMIT
from hub.adapters.channels.http import ChannelHttp
from hub.domain.timeline import Step
from hub.errors import HubError
from hub.service_layer.channels.stock_sync import STOCK_PUSH
from hub.service_layer.channels.tracking import TRACKING_PUSH, tracking_request
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
CHANNEL_PUSH_KINDS = (STOCK_PUSH, TRACKING_PUSH)
BATCH = {"shopify": 1, "ebay": BULK_LIMIT, "woocommerce": 100, "amazon": 1000}
MAX_BACKOFF_S = 300.0
Clients = dict[str, tuple[ChannelAdapter, ChannelHttp]]


@dataclass
class PushReport:
    pushed: list[tuple[str, str, int]] = field(default_factory=list)  # stock: channel, key, qty
    tracked: list[str] = field(default_factory=list)  # order ids whose tracking landed
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # value already there
    failed: list[tuple[str, str]] = field(default_factory=list)  # (channel, key or order)
    waiting: int = 0  # rows in backoff


@dataclass
class _Row:
    id: int
    payload: str
    attempts: int
    data: dict[str, Any]


class ChannelPushDispatcher:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], ctx: HubContext,
                 clients: Clients, batch: int = 500) -> None:
        self.uow_factory = uow_factory
        self.ctx = ctx
        self.clients = clients
        self.batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="channel-push", daemon=True)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before retry number ``attempts`` (1, 2, ...): the channel backoff doubled."""
        first = max(self.ctx.settings.channel_backoff_s, 0.01)
        return timedelta(seconds=min(MAX_BACKOFF_S, first * 2 ** max(attempts - 1, 0)))

    # --- one pass ------------------------------------------------------------------------
    def dispatch_once(self) -> PushReport:
        report = PushReport()
        now = self.ctx.now()
        stock: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        tracking: list[_Row] = []
        with self.uow_factory() as uow:
            for row in ChannelRepository(uow.session).pending_pushes(
                    CHANNEL_PUSH_KINDS, sorted(self.clients), self.batch):
                data = json.loads(row.payload)
                retry_at = data.get("retry_at")
                if retry_at and datetime.fromisoformat(retry_at) > now:
                    report.waiting += 1
                    continue
                item = _Row(row.id, row.payload, row.attempts, data)
                if row.kind == STOCK_PUSH:
                    stock[(data["channel"], data["listing_key"])].append(item)
                else:
                    tracking.append(item)
        if stock:
            self._push_stock(stock, report)
        for item in tracking:
            self._push_tracking(item, report)
        return report

    def _push_stock(self, rows: dict[tuple[str, str], list[_Row]], report: PushReport) -> None:
        with self.uow_factory() as uow:  # the newest figures, read after the rows were taken
            repo = ChannelRepository(uow.session)
            listings = {key: repo.stock_row(*key) for key in rows}
            free = repo.free_stock(sorted({r.sku for r in listings.values() if r is not None}))
        wanted: dict[str, dict[str, int]] = defaultdict(dict)
        settle: list[tuple[tuple[str, str], int | None]] = []
        for (channel, key), listing in sorted(listings.items()):
            if listing is None:  # the listing is no longer tracked
                settle.append(((channel, key), None))
                continue
            value = max(0, free[listing.sku] - listing.buffer)
            if listing.pushed == value:
                settle.append(((channel, key), value))
                report.unchanged.append((channel, key))
            else:
                wanted[channel][key] = value
        self._settle_stock(rows, settle)
        for channel, levels in sorted(wanted.items()):
            adapter, http = self.clients[channel]  # rows of other channels were not read
            items = sorted(levels.items())
            size = BATCH.get(channel, 50)
            for start in range(0, len(items), size):
                batch = dict(items[start:start + size])
                try:
                    adapter.send_stock(http, batch)
                except HubError as exc:
                    self._fail_stock(rows, channel, list(batch), batch, exc.detail)
                    report.failed.extend((channel, key) for key in batch)
                    log.warning("stock_push_failed", channel=channel, error=exc.detail)
                    continue
                self._settle_stock(rows, [((channel, key), qty) for key, qty in batch.items()])
                report.pushed.extend((channel, key, qty) for key, qty in batch.items())

    def _settle_stock(self, rows: dict[tuple[str, str], list[_Row]],
                      done: list[tuple[tuple[str, str], int | None]]) -> None:
        if not done:
            return
        now = self.ctx.now()
        with self.uow_factory() as uow:
            repo = ChannelRepository(uow.session)
            for (channel, key), value in done:
                if value is not None:
                    repo.want_stock(channel, key, value, now)
                    repo.stock_pushed(channel, key, value, now)
                for item in rows[(channel, key)]:
                    repo.settle_push(item.id, item.payload, now)
            uow.commit()

    def _fail_stock(self, rows: dict[tuple[str, str], list[_Row]], channel: str,
                    keys: list[str], levels: dict[str, int], error: str) -> None:
        now = self.ctx.now()
        with self.uow_factory() as uow:
            repo = ChannelRepository(uow.session)
            for key in keys:
                repo.want_stock(channel, key, levels[key], now)
                repo.stock_push_failed(channel, key, error, now)
                for item in rows[(channel, key)]:
                    repo.push_failed(item.id, error, now + self.backoff(item.attempts + 1))
            uow.commit()

    def _push_tracking(self, item: _Row, report: PushReport) -> None:
        order_id, channel = item.data["order_id"], item.data["channel"]
        client = self.clients[channel]  # rows of other channels were not read
        with self.uow_factory() as uow:
            built = tracking_request(uow, client[0], order_id, item.data.get("shipment_id"))
        now = self.ctx.now()
        if built is None:
            error = "the order or its shipment is gone"
            with self.uow_factory() as uow:
                ChannelRepository(uow.session).push_failed(
                    item.id, error, now + self.backoff(item.attempts + 1))
                uow.commit()
            report.failed.append((channel, order_id))
            return
        request, tracking_number = built
        try:
            client[1].request(request.method, request.path, json=request.body)
        except HubError as exc:
            with self.uow_factory() as uow:
                ChannelRepository(uow.session).push_failed(
                    item.id, exc.detail, now + self.backoff(item.attempts + 1))
                self._record(uow, order_id, "channel_tracking_failed", "tracking_push_failed",
                             error=exc.detail, attempt=item.attempts + 1)
                uow.commit()
            report.failed.append((channel, order_id))
            log.warning("tracking_push_failed", order_id=order_id, error=exc.detail)
            return
        with self.uow_factory() as uow:
            ChannelRepository(uow.session).settle_push(item.id, item.payload, now)
            self._record(uow, order_id, "channel_tracking_pushed", "ok",
                         tracking_number=tracking_number, path=request.path)
            uow.commit()
        report.tracked.append(order_id)

    def _record(self, uow: UnitOfWork, order_id: str, name: str, outcome: str,
                **details: object) -> None:
        order = uow.repo.get_order(order_id, lock=True)
        if order is not None:
            order.record(Step.SHIPPING_NOTIFIED, name, self.ctx.now(),
                         actor=f"channel:{order.channel}", outcome=outcome, **details)

    # --- background ----------------------------------------------------------------------
    def start(self) -> None:
        """Runs only when a channel is configured: rows of other channels wait, untouched,
        until theirs is."""
        if self.clients:
            self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatch_once()
            except Exception:
                log.exception("channel_push_pass_failed")
            self._wake.wait(self.ctx.settings.outbox_poll_s)
            self._wake.clear()
