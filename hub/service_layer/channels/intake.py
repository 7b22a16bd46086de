"""Channel order intake. A channel order becomes a canonical order through create_order (once
per channel and channel ref); lines that map to no SKU send the whole order to the
quarantine with the reason; an update (payment, address, a cancellation) is applied only
while the order waits for release and is flagged on the timeline once it was released."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import structlog

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels import ADAPTERS, AmazonAdapter, ShopifyAdapter
from hub.adapters.channels.base import (
    PAID,
    ChannelAdapter,
    ChannelLine,
    ChannelOrder,
    ChannelPayloadError,
    load_json,
)
from hub.adapters.channels.csv_import import RowError, parse_csv
from hub.config import Settings
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.domain.model import Order, OrderStatus
from hub.domain.timeline import Step
from hub.errors import InvalidInput, NotFound
from hub.service_layer.channels.mapping import MappedLine, map_lines
from hub.service_layer.context import HubContext
from hub.service_layer.handlers.orders import stage_order
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
CENT = Decimal("0.01")
WAITING = (OrderStatus.HELD, OrderStatus.READY)


@dataclass(frozen=True)
class IngestResult:
    status: str  # created | duplicate | replayed | updated | cancelled | flagged | quarantined
    channel_ref: str
    order_id: str | None = None
    quarantine_id: int | None = None
    reason: str | None = None


def adapter_for(channel: str, settings: Settings) -> ChannelAdapter:
    if channel == "shopify":
        return ShopifyAdapter(settings.shopify_location_id)
    if channel == "amazon":
        return AmazonAdapter(settings.amazon_marketplace_ids.split(",")[0])
    if channel not in ADAPTERS:
        raise InvalidInput(f"unknown channel {channel!r}; known: {', '.join(sorted(ADAPTERS))}")
    return ADAPTERS[channel]()


def ingest_payload(cmd: cc.IngestChannelOrder, uow: UnitOfWork, ctx: HubContext
                   ) -> IngestResult:
    repo = ChannelRepository(uow.session)
    adapter = adapter_for(cmd.channel, ctx.settings)
    if cmd.delivery_id and not repo.claim_delivery(cmd.channel, cmd.delivery_id, ctx.now()):
        return IngestResult("replayed", "")
    try:
        order = adapter.parse_order(load_json(cmd.payload))
    except ChannelPayloadError as exc:
        ref = "unreadable-" + hashlib.sha256(cmd.payload.encode()).hexdigest()[:16]
        return _quarantine(uow, repo, ctx, cmd.channel, ref, cmd.payload,
                           f"unreadable: {exc.detail}")
    return ingest(uow, ctx, order, cmd.payload)


def ingest(uow: UnitOfWork, ctx: HubContext, order: ChannelOrder, payload: str
           ) -> IngestResult:
    """Store, update or quarantine one parsed channel order; commits."""
    repo = ChannelRepository(uow.session)
    existing = uow.repo.order_by_channel_ref(order.channel, order.channel_ref)
    if existing is not None:
        return _update(uow, repo, ctx, existing, order)
    mapped, problems = map_lines(repo, order.channel, order.lines)
    if problems:
        return _quarantine(uow, repo, ctx, order.channel, order.channel_ref, payload,
                           "; ".join(problems))
    repo.save_channel_order(order.channel, order.channel_ref, _line_rows(mapped),
                            order.updated_at, ctx.now())
    shortfall = _shortfall(repo, mapped)
    order_id, created = stage_order(commands.CreateOrder(
        channel=order.channel, channel_ref=order.channel_ref,
        lines=[commands.NewLine(m.sku, m.line.qty,
                                m.line.unit_price.quantize(CENT, ROUND_HALF_EVEN))
               for m in mapped],
        ship_to=order.ship_to, currency=order.currency, total=order.total,
        payment_status=order.payment_status, customer_email=order.customer_email,
        service_level=order.service_level), uow, ctx)
    if not created:  # a concurrent delivery stored it first (seen once its commit landed)
        return IngestResult("duplicate", order.channel_ref, order_id=order_id)
    repo.resolve_quarantine(order.channel, order.channel_ref, order_id, ctx.now())
    reason = None
    if shortfall:
        # decided under the stock lock; written in the order's own transaction, so the
        # order is never visible without its flag
        stored = next(o for o in uow.repo.seen if o.id == order_id)
        stored.record(Step.ORDER_RECEIVED, "oversold", ctx.now(), outcome="oversold",
                      shortfall=shortfall)
        reason = "oversold: " + ", ".join(
            f"{sku} wants {s['wanted']}, {s['free']} free" for sku, s in shortfall.items())
    uow.commit()
    log.info("channel_order_created", channel=order.channel, channel_ref=order.channel_ref,
             order_id=order_id, oversold=bool(shortfall))
    return IngestResult("created", order.channel_ref, order_id=order_id, reason=reason)


def _shortfall(repo: ChannelRepository, mapped: list[MappedLine]) -> dict[str, dict[str, int]]:
    """SKUs this order wants more of than is free once every unreleased order is served:
    the order is flagged for the back-order/cancel rule (release will never reserve stock
    that is not there)."""
    wanted: dict[str, int] = {}
    for m in mapped:
        wanted[m.sku] = wanted.get(m.sku, 0) + m.line.qty
    repo.lock_balances(sorted(wanted))
    free = repo.free_stock(sorted(wanted))
    return {sku: {"wanted": qty, "free": max(free[sku], 0)}
            for sku, qty in sorted(wanted.items()) if qty > free[sku]}


def _line_rows(mapped: list[MappedLine]) -> list[dict[str, Any]]:
    return [{"line_ref": m.line.line_ref, "sku": m.sku, "qty": m.line.qty,
             "line_total": str(m.line.line_total), "mapped_by": m.by} for m in mapped]


def _quarantine(uow: UnitOfWork, repo: ChannelRepository, ctx: HubContext, channel: str,
                channel_ref: str, payload: str, reason: str) -> IngestResult:
    entry = repo.quarantine(channel, channel_ref, payload, reason, ctx.now())
    uow.commit()
    log.warning("channel_order_quarantined", channel=channel, channel_ref=channel_ref,
                reason=reason)
    return IngestResult("quarantined", channel_ref, quarantine_id=entry, reason=reason)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _update(uow: UnitOfWork, repo: ChannelRepository, ctx: HubContext, existing: Order,
            order: ChannelOrder) -> IngestResult:
    stored = repo.channel_order(order.channel, order.channel_ref)
    seen_at = _utc(stored.channel_updated_at) if stored is not None else None
    new_at = _utc(order.updated_at)
    if seen_at is not None and (new_at is None or new_at <= seen_at):
        return IngestResult("duplicate", order.channel_ref, order_id=existing.id)
    target = uow.repo.get_order(existing.id, lock=True)
    assert target is not None
    mapped, problems = map_lines(repo, order.channel, order.lines)
    changes: dict[str, Any] = {}
    if target.payment_status != order.payment_status:
        changes["payment_status"] = [target.payment_status, order.payment_status]
    if target.ship_to != order.ship_to:
        changes["ship_to"] = order.ship_to
    new_lines = sorted((m.sku, m.line.qty) for m in mapped)
    if problems or new_lines != sorted((line.sku, line.qty) for line in target.lines):
        changes["lines"] = problems or [list(pair) for pair in new_lines]
    cancel = cancel_signal(order)
    if cancel and target.status != OrderStatus.CANCELLED:
        changes["cancel"] = cancel
        changes.pop("payment_status", None)  # a cancelled order's payment is the channel's
    if order.updated_at is not None:
        repo.save_channel_order(order.channel, order.channel_ref,
                                stored.lines if stored is not None else _line_rows(mapped),
                                order.updated_at, ctx.now())
    if not changes:
        uow.commit()
        return IngestResult("duplicate", order.channel_ref, order_id=existing.id)
    now, actor = ctx.now(), f"channel:{order.channel}"
    if target.status not in WAITING:
        target.record(Step.ORDER_RECEIVED, "channel_update_flagged", now, actor=actor,
                      outcome="update_after_release", status=target.status, changes=changes)
        uow.commit()
        log.warning("channel_update_after_release", order_id=target.id, changes=changes)
        return IngestResult("flagged", order.channel_ref, order_id=target.id,
                            reason=f"the order is {target.status}; the update was not applied")
    if changes.get("cancel") == "cancelled":
        return _cancel(uow, ctx, target, order.channel_ref, actor)
    applied = []
    if "payment_status" in changes:
        _apply_payment(target, order.payment_status, now, actor)
        applied.append("payment_status")
    if "ship_to" in changes:
        target.ship_to = order.ship_to
        applied.append("ship_to")
    flagged = {key: changes[key] for key in ("lines", "cancel") if key in changes}
    if applied:
        target.record(Step.ORDER_RECEIVED, "channel_update_applied", now, actor=actor,
                      fields=applied)
    if flagged:
        target.record(Step.ORDER_RECEIVED, "channel_update_flagged", now, actor=actor,
                      outcome="needs_review", changes=flagged)
    uow.commit()
    return IngestResult("flagged" if flagged else "updated", order.channel_ref,
                        order_id=target.id,
                        reason="line or cancel changes need review" if flagged else None)


def cancel_signal(order: ChannelOrder) -> str | None:
    """``cancelled`` when the channel cancelled the order, ``requested`` when a cancel was
    asked for and not yet decided (eBay), None otherwise."""
    extra = order.extra
    if (extra.get("cancelled") is True or extra.get("order_status") == "Canceled"
            or (order.channel == "woocommerce" and extra.get("status") == "cancelled")
            or extra.get("cancel_state") == "CANCELED"):
        return "cancelled"
    if extra.get("cancel_state", "NONE_REQUESTED") != "NONE_REQUESTED":
        return "requested"
    return None


def _cancel(uow: UnitOfWork, ctx: HubContext, target: Order, channel_ref: str,
            actor: str) -> IngestResult:
    """Apply a channel's cancellation to an order not yet released. Stock is reserved only
    at release, so there is no reservation to give back: the order's demand simply stops
    counting against available-to-sell, and the new figure is pushed to the channels."""
    previous = target.status
    target.status = OrderStatus.CANCELLED
    target.record(Step.ORDER_RECEIVED, "order_cancelled", ctx.now(), actor=actor,
                  outcome="cancelled_by_channel", previous_status=previous)
    uow.repo.stock_changed.update(line.sku for line in target.lines)
    uow.commit()
    log.info("channel_order_cancelled", order_id=target.id, channel_ref=channel_ref)
    return IngestResult("cancelled", channel_ref, order_id=target.id)


def _apply_payment(order: Order, status: str, now: datetime, actor: str) -> None:
    order.payment_status = status
    if status == PAID:
        order.status = OrderStatus.READY
        order.record(Step.PAYMENT, "payment_confirmed", now, actor=actor,
                     total=str(order.total), currency=order.currency)
    else:  # pending, failed, refunded: not releasable until paid again
        order.status = OrderStatus.HELD
        order.record(Step.PAYMENT, f"payment_{status}", now, actor=actor,
                     outcome=f"payment_{status}")


def import_csv(cmd: cc.ImportCsvOrders, uow: UnitOfWork, ctx: HubContext
               ) -> tuple[list[IngestResult], list[RowError]]:
    parsed = parse_csv(cmd.content, cmd.channel)
    results = []
    for order in parsed.orders:
        results.append(ingest(uow, ctx, order, _csv_payload(order)))
    return results, parsed.errors


def _csv_payload(order: ChannelOrder) -> str:
    """What the quarantine keeps for a CSV order: the order as JSON (re-processed as such)."""
    return json.dumps({"csv_order": {
        "channel_ref": order.channel_ref, "ship_to": order.ship_to,
        "currency": order.currency, "total": str(order.total),
        "payment_status": order.payment_status, "customer_email": order.customer_email,
        "lines": [{"line_ref": line.line_ref, "sku": line.sku, "gtin": line.gtin,
                   "qty": line.qty, "unit_price": str(line.unit_price)}
                  for line in order.lines]}})


def _csv_order(channel: str, payload: str) -> ChannelOrder:
    data = load_json(payload)["csv_order"]
    return ChannelOrder(
        channel=channel, channel_ref=data["channel_ref"], ship_to=data["ship_to"],
        currency=data["currency"], total=Decimal(data["total"]),
        payment_status=data["payment_status"], customer_email=data["customer_email"],
        lines=[ChannelLine(line_ref=line["line_ref"], qty=line["qty"],
                           unit_price=Decimal(line["unit_price"]),
                           line_total=Decimal(line["unit_price"]) * line["qty"],
                           sku=line["sku"], gtin=line["gtin"]) for line in data["lines"]])


def reprocess(cmd: cc.ReprocessQuarantined, uow: UnitOfWork, ctx: HubContext) -> IngestResult:
    repo = ChannelRepository(uow.session)
    entry = repo.quarantine_entry(cmd.entry_id)
    if entry is None:
        raise NotFound(f"quarantine entry {cmd.entry_id} not found")
    if entry.status != "open":
        return IngestResult("duplicate", entry.channel_ref, order_id=entry.order_id)
    if '"csv_order"' in entry.payload[:20]:
        order = _csv_order(entry.channel, entry.payload)
    else:
        try:
            order = adapter_for(entry.channel, ctx.settings).parse_order(
                load_json(entry.payload))
        except ChannelPayloadError as exc:
            return _quarantine(uow, repo, ctx, entry.channel, entry.channel_ref, entry.payload,
                               f"unreadable: {exc.detail}")
    result = ingest(uow, ctx, order, entry.payload)
    if result.order_id and order.channel_ref != entry.channel_ref:  # was unreadable before
        repo.resolve_quarantine(entry.channel, entry.channel_ref, result.order_id, ctx.now())
        uow.commit()
    return result


def map_listing(cmd: cc.MapListing, uow: UnitOfWork, ctx: HubContext) -> None:
    if uow.repo.get_sku(cmd.sku) is None:
        raise NotFound(f"SKU {cmd.sku!r} not found")
    ChannelRepository(uow.session).add_listing(cmd.channel, cmd.listing_key, cmd.sku,
                                               ctx.now())
    uow.commit()
