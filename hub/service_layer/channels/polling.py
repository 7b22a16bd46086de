"""Polls the marketplaces with a persisted cursor (the newest LastUpdateDate seen).

Each poll re-reads ``channel_poll_overlap_s`` before the cursor, so an order updated while
the previous poll ran is not missed; the intake stores each order once, so overlapping and
repeated polls are harmless. The cursor moves only after every order of the poll was taken
in: a poll that fails half-way is repeated from the old cursor.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.http import ChannelHttp
from hub.adapters.channels.polling import (
    AmazonOrdersConnector,
    EbayOrdersConnector,
    PollingConnector,
)
from hub.config import Settings
from hub.domain import channel_commands as cc
from hub.domain.commands import Command
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def handle_retrying(handle: Callable[[Command], Any], command: Command) -> Any:
    """Handle once more when a concurrent delivery of the same order won the insert race
    (the unique (channel, channel_ref) constraint); the second try finds it stored."""
    try:
        return handle(command)
    except IntegrityError:
        log.info("channel_ingest_race_retried", command=type(command).__name__)
        return handle(command)


@dataclass
class PollReport:
    channel: str
    since: datetime
    statuses: Counter[str] = field(default_factory=Counter)
    cursor: datetime | None = None


def cursor_name(channel: str) -> str:
    return f"poll:{channel}"


def poll_once(connector: PollingConnector, handle: Callable[[Command], Any],
              uow_factory: Callable[[], UnitOfWork], ctx: HubContext) -> PollReport:
    settings = ctx.settings
    name = cursor_name(connector.channel)
    with uow_factory() as uow:
        stored = ChannelRepository(uow.session).cursor(name)
    cursor = (datetime.fromisoformat(stored) if stored
              else ctx.now() - timedelta(seconds=settings.channel_first_poll_lookback_s))
    since = cursor - timedelta(seconds=settings.channel_poll_overlap_s)
    report = PollReport(connector.channel, since)
    newest = cursor
    for payload, updated in connector.orders_since(since):
        result = handle_retrying(handle, cc.IngestChannelOrder(connector.channel, payload))
        report.statuses[result.status] += 1
        if updated is not None and updated > newest:
            newest = updated
    if newest != cursor or stored is None:
        with uow_factory() as uow:
            ChannelRepository(uow.session).set_cursor(name, newest.isoformat(), ctx.now())
            uow.commit()
    report.cursor = newest
    log.info("channel_polled", channel=connector.channel, since=since.isoformat(),
             cursor=newest.isoformat(), **report.statuses)
    return report


def connectors_from_settings(settings: Settings) -> list[PollingConnector]:
    """The marketplaces that have a token configured."""
    connectors: list[PollingConnector] = []
    common: dict[str, Any] = {"timeout_s": settings.channel_http_timeout_s,
              "max_retries": settings.channel_max_retries,
              "backoff_s": settings.channel_backoff_s}
    if settings.amazon_access_token:
        http = ChannelHttp(settings.amazon_base_url,
                           settings.amazon_access_token.get_secret_value(),
                           auth_header="x-amz-access-token", auth_prefix="", **common)
        connectors.append(AmazonOrdersConnector(
            http, [m for m in settings.amazon_marketplace_ids.split(",") if m]))
    if settings.ebay_access_token:
        http = ChannelHttp(settings.ebay_base_url, settings.ebay_access_token.get_secret_value(),
                           **common)
        connectors.append(EbayOrdersConnector(http))
    return connectors


class ChannelPoller:
    """Polls every connector each ``channel_poll_interval_s`` on a background thread."""

    def __init__(self, connectors: list[PollingConnector], handle: Callable[[Command], Any],
                 uow_factory: Callable[[], UnitOfWork], ctx: HubContext) -> None:
        self.connectors = connectors
        self.handle = handle
        self.uow_factory = uow_factory
        self.ctx = ctx
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="channel-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            for connector in self.connectors:
                try:
                    poll_once(connector, self.handle, self.uow_factory, self.ctx)
                except Exception:  # one channel failing must not stop the others
                    log.exception("channel_poll_failed", channel=connector.channel)
            self._stop.wait(self.ctx.settings.channel_poll_interval_s)
