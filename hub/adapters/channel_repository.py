"""Queries of the sales channel tables (hub/adapters/orm_channels.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.adapters import orm
from hub.adapters.db import note_outbox_queued
from hub.adapters.orm_channels import (
    channel_cursors,
    channel_deliveries,
    channel_listings,
    channel_orders,
    channel_quarantine,
    channel_stock,
)


class ChannelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)

    # --- listing mappings ----------------------------------------------------------------
    def add_listing(self, channel: str, listing_key: str, sku: str, at: datetime) -> None:
        stmt = self._insert(channel_listings).values(
            channel=channel, listing_key=listing_key, sku=sku, created_at=at)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["channel", "listing_key"], set_={"sku": sku}))

    def listing_sku(self, channel: str, listing_key: str) -> str | None:
        c = channel_listings.c
        return self.session.scalar(select(c.sku).where(
            c.channel == channel, c.listing_key == listing_key))

    def listings(self, channel: str | None = None) -> Sequence[Row[Any]]:
        c = channel_listings.c
        stmt = select(channel_listings).order_by(c.channel, c.listing_key)
        if channel:
            stmt = stmt.where(c.channel == channel)
        return self.session.execute(stmt).all()

    def sku_exists(self, sku: str) -> bool:
        return self.session.scalar(select(orm.skus.c.sku).where(orm.skus.c.sku == sku)) is not None

    def sku_by_gtin(self, gtin: str) -> str | None:
        return self.session.scalar(select(orm.skus.c.sku).where(orm.skus.c.barcode == gtin))

    # --- webhook deliveries --------------------------------------------------------------
    def claim_delivery(self, channel: str, delivery_id: str, at: datetime) -> bool:
        """Record a delivery id; False when it was handled before (a replay)."""
        stmt = self._insert(channel_deliveries).values(
            channel=channel, delivery_id=delivery_id, received_at=at
        ).on_conflict_do_nothing(index_elements=["channel", "delivery_id"])
        return self.session.execute(
            stmt.returning(channel_deliveries.c.delivery_id)).scalar_one_or_none() is not None

    # --- quarantine ----------------------------------------------------------------------
    def quarantine(self, channel: str, channel_ref: str, payload: str, reason: str,
                   at: datetime) -> int:
        q = channel_quarantine.c
        stmt = self._insert(channel_quarantine).values(
            channel=channel, channel_ref=channel_ref, payload=payload, reason=reason,
            status="open", attempts=1, created_at=at, updated_at=at)
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel", "channel_ref"],
            set_={"payload": payload, "reason": reason, "status": "open",
                  "attempts": q.attempts + 1, "updated_at": at})
        return int(self.session.execute(stmt.returning(q.id)).scalar_one())

    def quarantined(self, status: str | None = "open") -> Sequence[Row[Any]]:
        q = channel_quarantine.c
        stmt = select(channel_quarantine).order_by(q.id)
        if status:
            stmt = stmt.where(q.status == status)
        return self.session.execute(stmt).all()

    def quarantine_entry(self, entry_id: int) -> Row[Any] | None:
        return self.session.execute(select(channel_quarantine).where(
            channel_quarantine.c.id == entry_id)).first()

    def resolve_quarantine(self, channel: str, channel_ref: str, order_id: str,
                           at: datetime) -> None:
        q = channel_quarantine.c
        self.session.execute(update(channel_quarantine).where(
            q.channel == channel, q.channel_ref == channel_ref, q.status == "open").values(
            status="resolved", order_id=order_id, updated_at=at))

    # --- the channel's view of orders ----------------------------------------------------
    def channel_order(self, channel: str, channel_ref: str) -> Row[Any] | None:
        c = channel_orders.c
        return self.session.execute(select(channel_orders).where(
            c.channel == channel, c.channel_ref == channel_ref)).first()

    def save_channel_order(self, channel: str, channel_ref: str, lines: list[dict[str, Any]],
                           updated_at: datetime | None, at: datetime) -> None:
        stmt = self._insert(channel_orders).values(
            channel=channel, channel_ref=channel_ref, lines=lines,
            channel_updated_at=updated_at, received_at=at)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["channel", "channel_ref"],
            set_={"lines": lines, "channel_updated_at": updated_at}))

    # --- poll cursors --------------------------------------------------------------------
    def cursor(self, name: str) -> str | None:
        return self.session.scalar(select(channel_cursors.c.value).where(
            channel_cursors.c.name == name))

    def set_cursor(self, name: str, value: str, at: datetime) -> None:
        stmt = self._insert(channel_cursors).values(name=name, value=value, updated_at=at)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": at}))

    # --- stock that channels may sell ----------------------------------------------------
    def lock_balances(self, skus: Sequence[str]) -> None:
        """Serialise intakes of the same SKUs (PostgreSQL row locks; SQLite writers already
        hold the database lock from BEGIN IMMEDIATE)."""
        b = orm.stock_balances.c
        self.session.execute(select(b.sku).where(b.sku.in_(list(skus)))
                             .order_by(b.sku, b.location).with_for_update())

    def free_stock(self, skus: Sequence[str]) -> dict[str, int]:
        """on_hand - reserved - the demand of orders not yet released, per SKU."""
        b, o, line = orm.stock_balances.c, orm.orders.c, orm.order_lines.c
        result = {sku: 0 for sku in skus}
        for sku, available in self.session.execute(
                select(b.sku, func.sum(b.on_hand - b.reserved)).where(b.sku.in_(list(skus)))
                .group_by(b.sku)):
            result[sku] = int(available or 0)
        for sku, demand in self.session.execute(
                select(line.sku, func.sum(line.qty)).join(orm.orders, o.id == line.order_id)
                .where(line.sku.in_(list(skus)), o.status.in_(["held", "ready"]))
                .group_by(line.sku)):
            result[sku] -= int(demand or 0)
        return result

    # --- channel stock pushes (a coalescing outbox) --------------------------------------
    def track_stock(self, channel: str, listing_key: str, sku: str, buffer: int,
                    at: datetime) -> None:
        stmt = self._insert(channel_stock).values(
            channel=channel, listing_key=listing_key, sku=sku, buffer=buffer, desired=0,
            dirty=True, updated_at=at)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["channel", "listing_key"],
            set_={"sku": sku, "buffer": buffer, "dirty": True, "updated_at": at}))

    def stock_rows(self, skus: Sequence[str] | None = None) -> Sequence[Row[Any]]:
        """Tracked listings, all or those of these SKUs, in one lock order."""
        c = channel_stock.c
        stmt = select(channel_stock).order_by(c.channel, c.listing_key)
        if skus is not None:
            stmt = stmt.where(c.sku.in_(list(skus)))
        return self.session.execute(stmt).all()

    def stock_row(self, channel: str, listing_key: str) -> Row[Any] | None:
        c = channel_stock.c
        return self.session.execute(select(channel_stock).where(
            c.channel == channel, c.listing_key == listing_key)).first()

    def want_stock(self, channel: str, listing_key: str, desired: int, at: datetime) -> bool:
        """Set the value to push; True when it changed (the row becomes dirty)."""
        c = channel_stock.c
        result = self.session.execute(update(channel_stock).where(
            c.channel == channel, c.listing_key == listing_key, c.desired != desired).values(
            desired=desired, dirty=True, updated_at=at))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def stock_pushed(self, channel: str, listing_key: str, value: int, at: datetime) -> None:
        """The channel took ``value``; clean unless a newer value arrived meanwhile."""
        c = channel_stock.c
        self.session.execute(update(channel_stock).where(
            c.channel == channel, c.listing_key == listing_key).values(
            pushed=value, dirty=c.desired != value, attempts=0, last_error=None,
            updated_at=at))

    def stock_push_failed(self, channel: str, listing_key: str, error: str,
                          at: datetime) -> None:
        c = channel_stock.c
        self.session.execute(update(channel_stock).where(
            c.channel == channel, c.listing_key == listing_key).values(
            attempts=c.attempts + 1, last_error=error[:500], updated_at=at))

    # --- channel pushes in the outbox (kinds channel_stock, channel_tracking) ----------
    def queue_push(self, kind: str, topic: str, fields: dict[str, Any], at: datetime,
                   order_id: str | None = None) -> int:
        """Coalesce into the pending row of (kind, topic), or add one; returns its id.

        A coalesced row gets the new fields, one more ``changes`` and a new ``rev`` (so the
        dispatcher's compare-and-set sees every write); a scheduled retry (``retry_at``) is
        kept. Two writers racing may both add a row: the dispatcher
        treats the rows of one topic as one push."""
        o = orm.outbox.c
        pending = self.session.execute(
            select(o.id, o.payload).where(o.kind == kind, o.topic == topic,
                                          o.dispatched_at.is_(None))
            .order_by(o.id.desc()).limit(1)).first()
        if pending is not None:
            payload = {**json.loads(pending.payload), **fields, "rev": uuid.uuid4().hex}
            payload["changes"] = int(payload.get("changes", 1)) + 1
            done = self.session.execute(update(orm.outbox).where(
                o.id == pending.id, o.dispatched_at.is_(None)).values(
                payload=json.dumps(payload, sort_keys=True)))
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return int(pending.id)
        payload = {**fields, "changes": 1, "rev": uuid.uuid4().hex}
        note_outbox_queued(self.session)
        return int(self.session.execute(insert(orm.outbox).values(
            kind=kind, topic=topic, payload=json.dumps(payload, sort_keys=True),
            order_id=order_id, created_at=at).returning(o.id)).scalar_one())

    def pending_pushes(self, kinds: Sequence[str], channels: Sequence[str], limit: int
                       ) -> Sequence[Row[Any]]:
        """Pending pushes to these channels (topics ``<channel>/...``), fresh ones first so
        rows backing off from a failing channel never hold new work back."""
        o = orm.outbox.c
        if not channels:
            return []
        return self.session.execute(
            select(orm.outbox).where(o.dispatched_at.is_(None), o.kind.in_(list(kinds)),
                                     or_(*(o.topic.startswith(f"{c}/") for c in channels)))
            .order_by(o.attempts, o.id).limit(limit)).all()

    def settle_push(self, row_id: int, payload: str, at: datetime) -> bool:
        """Mark a push acknowledged unless a newer change was coalesced into it meanwhile
        (then it stays pending and the newer value goes on the next pass)."""
        o = orm.outbox.c
        done = self.session.execute(update(orm.outbox).where(
            o.id == row_id, o.payload == payload, o.dispatched_at.is_(None)).values(
            dispatched_at=at, attempts=o.attempts + 1, last_error=None))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def push_failed(self, row_id: int, error: str, retry_at: datetime) -> None:
        o = orm.outbox.c
        current = self.session.scalar(select(o.payload).where(o.id == row_id))
        if current is None:
            return
        payload = {**json.loads(current), "retry_at": retry_at.isoformat()}
        self.session.execute(update(orm.outbox).where(o.id == row_id).values(
            payload=json.dumps(payload, sort_keys=True), attempts=o.attempts + 1,
            last_error=error[:500]))
