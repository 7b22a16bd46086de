"""The rows one pick confirmation reads and writes, as plain SQL statements.

For the direct path of a scan (``hub.service_layer.handlers.pick_direct``): one SELECT
gathers everything the decision needs, and the writes are single-row UPDATEs and INSERTs on
the transaction's connection, with no objects loaded into the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased

from hub.adapters import orm
from hub.adapters.orm_waves import wave_picks
from hub.adapters.repository import Repository
from hub.domain.timeline import OK, Step


@dataclass(frozen=True)
class PickRow:
    """A pick as the direct path sees it: the pick, its task, its order's line for the SKU,
    and what the rest of the task and order still wait for."""

    task_id: str
    order_id: str
    sku: str
    location: str
    qty: int
    qty_picked: int
    qty_short: int
    line_id: int
    line_qty: int
    line_done: int  # units picked or short on the line
    other_picks_open: int  # the task's other picks not yet done or short
    other_lines_open: int  # the order's other lines not yet fully picked or short
    reorder_level: int
    on_hand: int  # of the SKU, all locations
    wave_id: str | None


def _pick_query() -> Select[Any]:
    p, t, line, s = orm.picks.c, orm.pick_tasks.c, orm.order_lines.c, orm.skus.c
    other_pick, other_line = aliased(orm.picks), aliased(orm.order_lines)
    b, w = orm.stock_balances.c, wave_picks.c
    other_picks_open = (select(func.count()).select_from(other_pick)
                        .where(other_pick.c.task_id == p.task_id, other_pick.c.id != p.id,
                               other_pick.c.status == "open").scalar_subquery())
    other_lines_open = (select(func.count()).select_from(other_line)
                        .where(other_line.c.order_id == t.order_id, other_line.c.sku != p.sku,
                               other_line.c.qty_picked + other_line.c.qty_short
                               < other_line.c.qty).scalar_subquery())
    on_hand = (select(func.coalesce(func.sum(b.on_hand), 0)).where(b.sku == p.sku)
               .scalar_subquery())
    wave_id = select(w.wave_id).where(w.pick_id == p.id).scalar_subquery()
    return (select(t.id, t.order_id, p.sku, p.location, p.qty, p.qty_picked, p.qty_short,
                   line.id, line.qty, line.qty_picked + line.qty_short, other_picks_open,
                   other_lines_open, func.coalesce(s.reorder_level, 0), on_hand, wave_id)
            .select_from(orm.picks)
            .join(orm.pick_tasks, t.id == p.task_id)
            .join(orm.order_lines, (line.order_id == t.order_id) & (line.sku == p.sku))
            .outerjoin(orm.skus, s.sku == p.sku)
            .where(p.id == bindparam("pick_id"),
                   or_(p.task_id == bindparam("task_id"),  # the order's task, or its wave trip
                       exists().where(w.pick_id == p.id, w.trip_id == bindparam("task_id")))))


# Built once: this path runs for every scan, and building a statement costs about as much
# as sending it.
_LOCK_ORDER = (select(orm.orders.c.id).where(orm.orders.c.id == bindparam("order_id"))
               .with_for_update())
_READ_PICK = _pick_query()


def lock_order(conn: Connection, order_id: str) -> bool:
    """Take the order's row lock (FOR UPDATE), under which its picks change; False when
    there is no such order."""
    return conn.execute(_LOCK_ORDER, {"order_id": order_id}).first() is not None


def claim_and_lock(conn: Connection, msg_id: str, device_id: str, kind: str, at: datetime,
                   order_id: str) -> tuple[bool, bool]:
    """PostgreSQL: claim the message id in the inbox and lock the order in one statement:
    (the id was new, the order exists)."""
    row = conn.execute(_CLAIM_AND_LOCK, {"msg_id": msg_id, "device_id": device_id,
                                         "kind": kind, "at": at, "order_id": order_id}).one()
    return bool(row.claimed), row.locked is not None


_CLAIM_AND_LOCK = text("""
WITH claim AS (
    INSERT INTO inbox (msg_id, device_id, type, received_at)
    VALUES (:msg_id, :device_id, :kind, :at)
    ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id)
SELECT (SELECT count(*) FROM claim) AS claimed,
       (SELECT id FROM orders WHERE id = :order_id FOR UPDATE) AS locked
""").bindparams(bindparam("at", type_=orm.TS))


def read_pick(conn: Connection, task_id: str, pick_id: str) -> list[PickRow]:
    """The pick ``pick_id`` of task ``task_id`` (its order's task or the wave trip it is on)
    joined with every order line of its SKU: no row when the pick is not in that task, more
    than one when the order has several lines of the SKU."""
    return [PickRow(*row) for row in conn.execute(_READ_PICK, {"pick_id": pick_id,
                                                               "task_id": task_id})]


@dataclass(frozen=True)
class PickWrite:
    """Everything one confirmation writes: the stock taken off the balance with its ledger
    row, the units on the pick and its order line, the timeline entry, the task finished."""

    pick_id: str
    task_id: str
    order_id: str
    line_id: int
    sku: str
    location: str
    qty: int
    done_as: str | None  # the pick's new status when this finishes it
    finish_task: bool
    at: datetime  # the ledger row's time
    scanned_at: datetime  # the timeline entry's
    actor: str
    details: dict[str, Any]


def write(repo: Repository, w: PickWrite) -> bool:
    """Write the confirmation if the balance still holds the units reserved; False, with
    nothing written, when it does not. On PostgreSQL one statement; elsewhere the
    repository's stock writes, then the rest one by one."""
    conn = repo.session.connection()
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(_WRITE_ALL, _params(w)).scalar_one())
    if not repo.consume_reserved(w.sku, w.location, w.qty):
        return False
    repo.record_movement(w.sku, w.location, "pick", -w.qty, w.at, order_id=w.order_id)
    conn.execute(_ADD_TO_PICK, {"pick_id": w.pick_id, "more": w.qty, "done_as": w.done_as})
    conn.execute(_ADD_TO_LINE, {"line_id": w.line_id, "more": w.qty})
    conn.execute(insert(orm.timeline_events), {
        "order_id": w.order_id, "step": int(Step.PICKED), "name": "item_picked",
        "at": w.scanned_at, "actor": w.actor, "outcome": OK, "details": w.details})
    if w.finish_task:
        conn.execute(_FINISH_TASK, {"task_id": w.task_id})
    return True


def _params(w: PickWrite) -> dict[str, Any]:
    return {"pick_id": w.pick_id, "task_id": w.task_id, "order_id": w.order_id,
            "line_id": w.line_id, "sku": w.sku, "location": w.location, "more": w.qty,
            "done_as": w.done_as, "finish_task": w.finish_task, "at": w.at,
            "scanned_at": w.scanned_at, "actor": w.actor, "details": w.details,
            "step": int(Step.PICKED)}


_MORE = bindparam("more", type_=Integer)
_ADD_TO_PICK = update(orm.picks).where(orm.picks.c.id == bindparam("pick_id")).values(
    qty_picked=orm.picks.c.qty_picked + _MORE,
    status=func.coalesce(bindparam("done_as", type_=String), orm.picks.c.status))
_ADD_TO_LINE = update(orm.order_lines).where(
    orm.order_lines.c.id == bindparam("line_id")).values(
    qty_picked=orm.order_lines.c.qty_picked + _MORE)
_FINISH_TASK = (update(orm.pick_tasks).where(orm.pick_tasks.c.id == bindparam("task_id"))
                .values(status="done"))

# PostgreSQL: the same writes as one statement (data-modifying CTEs), each conditional on the
# balance update having held, so a scan costs one round trip to write instead of six.
_WRITE_ALL = text("""
WITH taken AS (
    UPDATE stock_balances SET on_hand = on_hand - :more, reserved = reserved - :more
    WHERE sku = :sku AND location = :location AND reserved >= :more AND on_hand >= :more
    RETURNING sku),
ledger AS (
    INSERT INTO stock_movements (sku, location, kind, qty, order_id, at)
    SELECT :sku, :location, 'pick', -CAST(:more AS INTEGER), :order_id, :at FROM taken),
pick AS (
    UPDATE picks SET qty_picked = qty_picked + :more,
                     status = COALESCE(CAST(:done_as AS VARCHAR), status)
    WHERE id = :pick_id AND EXISTS (SELECT 1 FROM taken)),
line AS (
    UPDATE order_lines SET qty_picked = qty_picked + :more
    WHERE id = :line_id AND EXISTS (SELECT 1 FROM taken)),
entry AS (
    INSERT INTO timeline_events (order_id, step, name, at, actor, outcome, details)
    SELECT :order_id, :step, 'item_picked', :scanned_at, :actor, 'ok', :details FROM taken),
task AS (
    UPDATE pick_tasks SET status = 'done'
    WHERE id = :task_id AND CAST(:finish_task AS BOOLEAN) AND EXISTS (SELECT 1 FROM taken))
SELECT count(*) FROM taken
""").bindparams(bindparam("at", type_=orm.TS), bindparam("scanned_at", type_=orm.TS),
                bindparam("details", type_=JSON), bindparam("more", type_=Integer),
                bindparam("step", type_=Integer), bindparam("finish_task", type_=Boolean))
