"""Every query the hub makes. Stock changes are conditional UPDATEs whose row count is
checked, never read-then-write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from hub.adapters import orm
from hub.adapters.db import note_outbox_queued
from hub.domain.model import Location, Order, PickTask, Shipment, Sku
from hub.domain.timeline import TimelineEvent


class StockWriteRefused(Exception):
    """Deferred stock writes no longer fit the balance."""


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: set[Order] = set()
        self.stock_changed: set[str] = set()  # SKUs whose balances this unit of work wrote
        # Orders locked (FOR UPDATE) in this transaction: a later lock is a no-op, so it is
        # not asked again; tasks are held so the session does not drop and reload them.
        self._locked: dict[str, Order] = {}
        self._tasks: dict[str, PickTask] = {}
        self._skus: dict[str, Sku] = {}

    # Within a run of device events the stock writes are deferred: consumptions of one
    # balance are summed and written by one conditional UPDATE, ledger rows by one INSERT.
    # The summed condition holds exactly when each step's would have (each consumption
    # lowers both on_hand and reserved by its qty), and any other stock read or write
    # writes what is deferred first.
    _deferred_consumption: dict[tuple[str, str], int] | None = None
    _deferred_movements: list[dict[str, Any]]

    def defer_stock_writes(self) -> None:
        self._deferred_consumption = {}
        self._deferred_movements = []

    def write_deferred(self) -> None:
        """Write the deferred stock changes; StockWriteRefused when a balance no longer
        covers the summed consumption (the caller then redoes the run step by step)."""
        pending = self._deferred_consumption
        if pending is None:
            return
        movements = self._deferred_movements
        self._deferred_consumption, self._deferred_movements = {}, []
        b = orm.stock_balances.c
        for (sku, location), qty in sorted(pending.items()):  # one lock order for all
            if not self._balance_update(sku, location, b.reserved >= qty, b.on_hand >= qty,
                                        sellable_changes=False,
                                        on_hand=b.on_hand - qty, reserved=b.reserved - qty):
                raise StockWriteRefused(f"{qty} x {sku} at {location} is not reserved")
        if movements:
            self._write(insert(orm.stock_movements), movements)

    def stop_deferring(self) -> None:
        """Drop what is deferred (the run was undone) and write at once from now on."""
        self._deferred_consumption = None
        self._deferred_movements = []

    def forget_locks(self) -> None:
        """After a savepoint rollback: the locks taken inside it were released."""
        self._locked.clear()

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _write(self, stmt: Any, params: Any = None) -> Any:
        """Run a write on a table no domain class is mapped to. It goes straight to the
        transaction's connection, so pending object changes are not flushed first (they
        cannot affect it; they are flushed with the rest at the savepoint or commit)."""
        return self.session.connection().execute(stmt, params)

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert(table) if self._dialect == "postgresql"
                else sqlite.insert(table))

    # --- orders --------------------------------------------------------------------------
    def add_order(self, order: Order) -> None:
        self.session.add(order)
        self.seen.add(order)
        self.stock_changed.update(line.sku for line in order.lines)  # its demand counts

    def insert_orders(self, orders: Sequence[Order]) -> None:
        """Write new orders with their lines and recorded timeline entries: one insert per
        table for all of them rather than the ORM's flush of every object. The orders stay
        out of the session: for callers that need no more of them than their ids."""
        if not orders:
            return
        self._write(insert(orm.orders), [{column.key: getattr(order, column.key)
                                          for column in orm.orders.c} for order in orders])
        self._write(insert(orm.order_lines), [
            {"order_id": order.id, "line_no": line.line_no, "sku": line.sku, "qty": line.qty,
             "unit_price": line.unit_price, "qty_picked": line.qty_picked,
             "qty_short": line.qty_short} for order in orders for line in order.lines])
        self._write(insert(orm.timeline_events), [
            {"order_id": entry.order_id, "step": entry.step, "name": entry.name, "at": entry.at,
             "actor": entry.actor, "outcome": entry.outcome, "details": entry.details}
            for order in orders for entry in order.new_timeline])
        for order in orders:
            order.new_timeline = []
            self.stock_changed.update(line.sku for line in order.lines)  # their demand counts

    def get_order(self, order_id: str, *, lock: bool = False) -> Order | None:
        if lock and order_id in self._locked:
            return self._locked[order_id]
        stmt = select(Order).where(orm.orders.c.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        order = self.session.scalars(stmt).first()
        if order is not None:
            self.seen.add(order)
            if lock:
                self._locked[order_id] = order
        return order

    def order_by_channel_ref(self, channel: str, channel_ref: str) -> Order | None:
        return self.session.scalars(select(Order).where(
            orm.orders.c.channel == channel, orm.orders.c.channel_ref == channel_ref)).first()

    def orders_by_channel_refs(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which of these (channel, channel_ref) are stored, with their order ids."""
        o = orm.orders.c
        rows = self.session.execute(select(o.channel, o.channel_ref, o.id).where(
            tuple_(o.channel, o.channel_ref).in_(list(set(refs))))) if refs else []
        return {(row.channel, row.channel_ref): row.id for row in rows}

    def list_orders(self, status: str | None, limit: int, offset: int,
                    channel: str | None = None) -> Sequence[Order]:
        stmt = select(Order).order_by(orm.orders.c.created_at, orm.orders.c.id)
        if status:
            stmt = stmt.where(orm.orders.c.status == status)
        if channel is not None:
            stmt = stmt.where(orm.orders.c.channel == channel)
        return self.session.scalars(stmt.limit(limit).offset(offset)).all()

    def count_orders_by_status(self) -> dict[str, int]:
        rows = self.session.execute(
            select(orm.orders.c.status, func.count()).group_by(orm.orders.c.status))
        return {status: count for status, count in rows}

    def timeline(self, order_id: str) -> Sequence[TimelineEvent]:
        return self.session.scalars(select(TimelineEvent).where(
            orm.timeline_events.c.order_id == order_id).order_by(orm.timeline_events.c.id)).all()

    def all_timeline(self) -> Sequence[TimelineEvent]:
        return self.session.scalars(select(TimelineEvent).order_by(
            orm.timeline_events.c.order_id, orm.timeline_events.c.id)).all()

    # --- catalogue -----------------------------------------------------------------------
    def get_sku(self, sku: str) -> Sku | None:
        item = self.session.get(Sku, sku)
        if item is not None:
            self._skus[sku] = item
        return item

    def sku_by_barcode(self, barcode: str) -> Sku | None:
        return self.session.scalars(select(Sku).where(orm.skus.c.barcode == barcode)).first()

    def skus(self, codes: Sequence[str] | None = None) -> Sequence[Sku]:
        stmt = select(Sku).order_by(orm.skus.c.sku)
        if codes is not None:
            stmt = stmt.where(orm.skus.c.sku.in_(list(codes)))
        return self.session.scalars(stmt).all()

    def add(self, obj: object) -> None:
        self.session.add(obj)

    def get_location(self, code: str) -> Location | None:
        return self.session.get(Location, code)

    def locations(self) -> Sequence[Location]:
        return self.session.scalars(select(Location).order_by(
            orm.locations.c.zone, orm.locations.c.pick_sequence, orm.locations.c.code)).all()

    # --- stock ---------------------------------------------------------------------------
    def add_on_hand(self, sku: str, location: str, qty: int) -> None:
        self.write_deferred()
        stmt = self._insert(orm.stock_balances).values(
            sku=sku, location=location, on_hand=qty, reserved=0)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku", "location"],
            set_={"on_hand": orm.stock_balances.c.on_hand + qty})
        self.session.execute(stmt)
        self.stock_changed.add(sku)

    def _balance_update(self, sku: str, location: str, *conditions: Any,
                        sellable_changes: bool = True, **values: Any) -> bool:
        """A conditional write of one balance; True when it held. ``sellable_changes``
        False: the write leaves on_hand - reserved as it was (a reserved unit picked), so
        the channels' available-to-sell needs no push."""
        b = orm.stock_balances.c
        result = self._write(
            update(orm.stock_balances)
            .where(b.sku == sku, b.location == location, *conditions)
            .values(**values))
        if result.rowcount == 1 and sellable_changes:  # type: ignore[attr-defined]
            self.stock_changed.add(sku)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def reserve(self, sku: str, location: str, qty: int) -> bool:
        self.write_deferred()
        b = orm.stock_balances.c
        return self._balance_update(sku, location, b.on_hand - b.reserved >= qty,
                                    reserved=b.reserved + qty)

    def unreserve(self, sku: str, location: str, qty: int) -> bool:
        self.write_deferred()
        b = orm.stock_balances.c
        return self._balance_update(sku, location, b.reserved >= qty, reserved=b.reserved - qty)

    def consume_reserved(self, sku: str, location: str, qty: int) -> bool:
        if self._deferred_consumption is not None:
            key = (sku, location)
            self._deferred_consumption[key] = self._deferred_consumption.get(key, 0) + qty
            return True
        b = orm.stock_balances.c
        return self._balance_update(sku, location, b.reserved >= qty, b.on_hand >= qty,
                                    sellable_changes=False,
                                    on_hand=b.on_hand - qty, reserved=b.reserved - qty)

    def adjust_on_hand(self, sku: str, location: str, delta: int) -> bool:
        self.write_deferred()
        b = orm.stock_balances.c
        return self._balance_update(sku, location, b.on_hand + delta >= b.reserved,
                                    on_hand=b.on_hand + delta)

    def record_movement(self, sku: str, location: str, kind: str, qty: int, at: datetime,
                        order_id: str | None = None, ref: str | None = None) -> None:
        row = {"sku": sku, "location": location, "kind": kind, "qty": qty, "at": at,
               "order_id": order_id, "ref": ref}
        if self._deferred_consumption is not None:
            self._deferred_movements.append(row)
            return
        self._write(insert(orm.stock_movements).values(**row))

    def pickable_locations(self, sku: str) -> Sequence[Row[Any]]:
        self.write_deferred()
        b, loc = orm.stock_balances.c, orm.locations.c
        return self.session.execute(
            select(b.location, (b.on_hand - b.reserved).label("available"), loc.zone)
            .join(orm.locations, loc.code == b.location)
            .where(b.sku == sku, b.on_hand - b.reserved > 0)
            .order_by(loc.pick_sequence, loc.code)).all()

    def balances(self, sku: str | None = None) -> Sequence[Row[Any]]:
        self.write_deferred()
        b = orm.stock_balances.c
        stmt = select(b.sku, b.location, b.on_hand, b.reserved).order_by(b.sku, b.location)
        if sku:
            stmt = stmt.where(b.sku == sku)
        return self.session.execute(stmt).all()

    def available(self, sku: str) -> int:
        self.write_deferred()
        b = orm.stock_balances.c
        value = self.session.scalar(
            select(func.coalesce(func.sum(b.on_hand - b.reserved), 0)).where(b.sku == sku))
        return int(value or 0)

    # --- picking and shipping ------------------------------------------------------------
    def lock_orders(self, order_ids: Sequence[str]) -> None:
        """Lock these orders now, in id order. Writers that lock orders this way (hub
        replicas handling batches of events side by side) cannot deadlock on them."""
        wanted = sorted(set(order_ids) - set(self._locked))
        if not wanted:
            return
        stmt = (select(Order).where(orm.orders.c.id.in_(wanted)).order_by(orm.orders.c.id)
                .with_for_update())
        for order in self.session.scalars(stmt):
            self.seen.add(order)
            self._locked[order.id] = order

    def holds_lock(self, order_id: str) -> bool:
        return order_id in self._locked

    def get_task(self, task_id: str, *, reload: bool = False) -> PickTask | None:
        """A pick task with its picks; ``reload`` reads both again (after taking the lock
        of its order, under which tasks change, when they were read before it)."""
        if reload:
            task = self.session.get(PickTask, task_id, populate_existing=True,
                                    options=[selectinload(PickTask.picks)])  # type: ignore[arg-type]
        else:
            task = self.session.get(PickTask, task_id)
        if task is not None:
            self._tasks[task_id] = task
        return task

    def tasks_for_order(self, order_id: str) -> Sequence[PickTask]:
        return self.session.scalars(select(PickTask).where(
            orm.pick_tasks.c.order_id == order_id)).all()

    def unassigned_tasks(self, zone: str | None) -> Sequence[PickTask]:
        t = orm.pick_tasks.c
        stmt = select(PickTask).where(t.device_id.is_(None), t.status == "open")
        if zone is not None:
            stmt = stmt.where(t.zone == zone)
        return self.session.scalars(stmt.order_by(t.created_at)).all()

    def shipment_for_order(self, order_id: str) -> Shipment | None:
        return self.session.scalars(select(Shipment).where(
            orm.shipments.c.order_id == order_id).order_by(orm.shipments.c.created_at)).first()

    def get_shipment(self, shipment_id: str) -> Shipment | None:
        return self.session.get(Shipment, shipment_id)

    def next_counter(self, name: str, start: int = 1) -> int:
        stmt = self._insert(orm.counters).values(name=name, value=start)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], set_={"value": orm.counters.c.value + 1})
        return int(self.session.execute(stmt.returning(orm.counters.c.value)).scalar_one())

    # --- devices -------------------------------------------------------------------------
    def upsert_device(self, device_id: str, **values: Any) -> None:
        stmt = self._insert(orm.devices).values(device_id=device_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["device_id"], set_=values)
        self.session.execute(stmt)

    def update_device(self, device_id: str, **values: Any) -> bool:
        result = self.session.execute(update(orm.devices).where(
            orm.devices.c.device_id == device_id).values(**values))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def devices(self) -> Sequence[Row[Any]]:
        return self.session.execute(
            select(orm.devices).order_by(orm.devices.c.device_id)).all()

    def device(self, device_id: str) -> Row[Any] | None:
        return self.session.execute(
            select(orm.devices).where(orm.devices.c.device_id == device_id)).first()

    def online_devices(self, role: str) -> Sequence[Row[Any]]:
        d = orm.devices.c
        return self.session.execute(select(orm.devices).where(
            d.role == role, d.state == "online").order_by(d.device_id)).all()

    # --- inbox and outbox ----------------------------------------------------------------
    def claim_message(self, msg_id: str, device_id: str, kind: str, at: datetime) -> bool:
        """Record a device message id; False when it was handled before (a duplicate)."""
        stmt = self._insert(orm.inbox).values(
            msg_id=msg_id, device_id=device_id, type=kind, received_at=at
        ).on_conflict_do_nothing(index_elements=["msg_id"]).returning(orm.inbox.c.msg_id)
        return self._write(stmt).scalar_one_or_none() is not None

    def claim_messages(self, rows: Sequence[tuple[str, str, str, datetime]]) -> set[str]:
        """Claim many (msg_id, device_id, type, received_at) at once; returns the ids that
        were new (the others were handled before)."""
        if not rows:
            return set()
        stmt = self._insert(orm.inbox).values([
            {"msg_id": m, "device_id": d, "type": t, "received_at": at} for m, d, t, at in rows
        ]).on_conflict_do_nothing(index_elements=["msg_id"]).returning(orm.inbox.c.msg_id)
        return set(self._write(stmt).scalars())

    def add_outbox(self, kind: str, topic: str, payload: str, at: datetime,
                   order_id: str | None = None) -> None:
        self.add_outbox_rows([{"kind": kind, "topic": topic, "payload": payload,
                               "order_id": order_id, "created_at": at}])

    def add_outbox_rows(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (kind, topic, payload, order_id, created_at), one statement (the
        parameters apart: one cached statement)."""
        if rows:
            self._write(insert(orm.outbox), rows)
            note_outbox_queued(self.session)

    def pending_outbox(self, limit: int, exclude_kinds: Sequence[str] = (),
                       now: datetime | None = None) -> Sequence[Row[Any]]:
        """Rows not yet sent; with ``now``, only those whose retry time has come."""
        o = orm.outbox.c
        due = [or_(o.not_before.is_(None), o.not_before <= now)] if now is not None else []
        stmt = (select(orm.outbox).where(o.dispatched_at.is_(None),
                                         o.kind.not_in(list(exclude_kinds)), *due)
                .order_by(o.id).limit(limit).with_for_update(skip_locked=True))
        return self.session.execute(stmt).all()

    def mark_outbox(self, row_id: int, at: datetime | None, error: str | None = None,
                    not_before: datetime | None = None) -> None:
        o = orm.outbox.c
        self.session.execute(update(orm.outbox).where(o.id == row_id).values(
            dispatched_at=at, attempts=o.attempts + 1, last_error=error,
            not_before=not_before))

    def outbox_depth(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(orm.outbox).where(
            orm.outbox.c.dispatched_at.is_(None))) or 0)

    # --- API keys ------------------------------------------------------------------------
    def api_key_by_hash(self, key_hash: str) -> Row[Any] | None:
        k = orm.api_keys.c
        return self.session.execute(select(orm.api_keys).where(
            k.key_hash == key_hash, k.revoked_at.is_(None))).first()

    def add_api_key(self, key_id: str, name: str, key_hash: str, scopes: list[str],
                    at: datetime, channel: str | None = None) -> None:
        self.session.execute(insert(orm.api_keys).values(
            id=key_id, name=name, key_hash=key_hash, scopes=scopes, created_at=at,
            channel=channel))

    def api_key(self, key_id: str) -> Row[Any] | None:
        return self.session.execute(select(orm.api_keys).where(
            orm.api_keys.c.id == key_id)).first()

    def api_keys(self) -> Sequence[Row[Any]]:
        k = orm.api_keys.c
        return self.session.execute(select(orm.api_keys).order_by(k.created_at, k.id)).all()

    def set_api_key_expiry(self, key_id: str, at: datetime) -> None:
        self.session.execute(update(orm.api_keys).where(orm.api_keys.c.id == key_id).values(
            expires_at=at))

    def revoke_api_key(self, key_id: str, at: datetime) -> None:
        self.session.execute(update(orm.api_keys).where(
            orm.api_keys.c.id == key_id, orm.api_keys.c.revoked_at.is_(None)).values(
            revoked_at=at))
