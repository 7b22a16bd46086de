"""Stock sync: available-to-sell per SKU per channel listing, queued in the outbox.

available-to-sell = on_hand - reserved - demand of orders not yet released - the listing's
buffer (never below 0). Orders reserve stock only on release, so the demand of orders
waiting for release is counted too, or two channels would sell the same unit.

Every unit of work that changes a tracked SKU's stock (receive, adjust, reserve at release,
short, return, an order arriving or cancelled before release) queues one
``channel_stock`` outbox row per listing of that SKU in the same transaction, coalesced
into the listing's pending row if there is one. A pick of reserved stock lowers on_hand
and reserved alike, leaving available-to-sell as it was, so it queues nothing. The
dispatcher (``push_dispatcher.ChannelPushDispatcher``) computes the value when it sends, so
a push always carries the newest figure however many changes were coalesced into it.
"""

from __future__ import annotations

from hub.adapters.channel_repository import ChannelRepository
from hub.domain import channel_commands as cc
from hub.errors import NotFound
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

STOCK_PUSH = "channel_stock"


def track_stock(cmd: cc.TrackChannelStock, uow: UnitOfWork, ctx: HubContext) -> None:
    if uow.repo.get_sku(cmd.sku) is None:
        raise NotFound(f"SKU {cmd.sku!r} not found")
    ChannelRepository(uow.session).track_stock(cmd.channel, cmd.listing_key, cmd.sku,
                                               cmd.buffer, ctx.now())
    uow.repo.stock_changed.add(cmd.sku)  # a new listing (or buffer) is pushed at once
    uow.commit()


def stock_topic(channel: str, listing_key: str) -> str:
    return f"{channel}/{listing_key}"


def queue_stock_pushes(uow: UnitOfWork, ctx: HubContext) -> int:
    """Before-commit hook: queue a push for every listing of a SKU this unit of work
    touched (balances written, an order added or cancelled). Returns how many listings
    were queued."""
    skus = set(uow.repo.stock_changed)
    uow.repo.stock_changed.clear()
    if not skus:
        return 0
    repo = ChannelRepository(uow.session)
    listings = repo.stock_rows(sorted(skus))
    now = ctx.now()
    for row in listings:  # one lock order (channel, listing) for concurrent writers
        repo.queue_push(STOCK_PUSH, stock_topic(row.channel, row.listing_key),
                        {"channel": row.channel, "listing_key": row.listing_key,
                         "sku": row.sku}, now)
    return len(listings)
