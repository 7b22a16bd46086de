"""A pick confirmation arriving on its own (the usual scan on a quiet floor), written with a
handful of SQL statements instead of loading the order, its lines and its task as objects.

The picker's next light does not wait for the hub, but the zone's outbox does, and this is
the hub's hottest path: one row lock, one SELECT, then single-row writes. Only the usual
case is taken here, a scan that leaves its order still being picked; everything else (the
scan finishes the order and a pack job goes out, it takes the SKU below its reorder level,
it does not match its pick, too many units) is left to the object path
``devices.pick_confirmed``, which holds every rule and every refusal. This path decides
before writing anything, so handing over costs nothing but the SELECT, and what it writes
is exactly what the object path writes for the same scan (a test compares the rows).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection

from edge.wire import messages as wire
from hub.adapters import pick_rows
from hub.adapters.pick_rows import PickRow
from hub.service_layer import waves
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork


def confirm(event: wire.PickConfirmed, uow: UnitOfWork, ctx: HubContext
            ) -> Literal["applied", "duplicate", "claimed"]:
    """Claim the scan's id in the inbox and apply the scan if it is the usual case:
    ``claimed`` when it is not (the id is claimed, nothing else written)."""
    conn = uow.session.connection()
    claimed, found = _claim_and_lock(event, uow, conn, ctx)
    if not claimed:
        return "duplicate"
    if not found:
        return "claimed"
    rows = pick_rows.read_pick(conn, event.task_id, event.pick_id)
    if len(rows) != 1 or not _usual(rows[0], event):
        return "claimed"
    pick = rows[0]
    now = ctx.now()
    finished = pick.qty_picked + pick.qty_short + event.qty >= pick.qty
    written = pick_rows.write(uow.repo, pick_rows.PickWrite(
        pick_id=event.pick_id, task_id=pick.task_id, order_id=pick.order_id,
        line_id=pick.line_id, sku=pick.sku, location=pick.location, qty=event.qty,
        done_as=("short" if pick.qty_short else "done") if finished else None,
        finish_task=finished and pick.other_picks_open == 0, at=now, scanned_at=event.ts,
        actor=actor(event), details=picked_details(event, pick.sku, pick.location,
                                                   pick.task_id)))
    if not written:
        return "claimed"  # the stock is not reserved: the object path refuses it, with why
    if finished and pick.wave_id is not None:
        waves.wave_progress(uow.session, pick.wave_id, now)
    return "applied"


def _claim_and_lock(event: wire.PickConfirmed, uow: UnitOfWork, conn: Connection,
                    ctx: HubContext) -> tuple[bool, bool]:
    """(the id was new, the order exists and is now locked); on PostgreSQL one statement."""
    if conn.dialect.name == "postgresql":
        return pick_rows.claim_and_lock(conn, event.msg_id, event.device_id, event.type,
                                        ctx.now(), event.order_id)
    if not uow.repo.claim_message(event.msg_id, event.device_id, event.type, ctx.now()):
        return False, False
    return True, pick_rows.lock_order(conn, event.order_id)


def actor(event: wire.EventBase) -> str:
    """Who did it, as the timeline names them: the device, and its operator when signed in."""
    return f"{event.device_id}/{event.operator}" if event.operator else event.device_id


def picked_details(event: wire.PickConfirmed, sku: str, location: str, task_id: str
                   ) -> dict[str, Any]:
    """The details of an ``item_picked`` timeline entry (both paths write the same)."""
    return {"sku": sku, "location": location, "qty": event.qty, "method": event.method,
            "task_id": task_id}


def _usual(pick: PickRow, event: wire.PickConfirmed) -> bool:
    line_done_after = pick.line_done + event.qty >= pick.line_qty
    on_hand_after = pick.on_hand - event.qty
    return (pick.order_id == event.order_id
            and pick.sku == event.sku and pick.location == event.location
            and pick.qty_picked + pick.qty_short + event.qty <= pick.qty
            and not (line_done_after and pick.other_lines_open == 0)  # the order is picked
            and not (pick.reorder_level > 0 and
                     on_hand_after < pick.reorder_level <= on_hand_after + event.qty))
