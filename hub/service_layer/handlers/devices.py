"""Messages from devices: state (birth/death/health) and events (picks, packs, labels).

Events are handled exactly once: the message id is claimed in the inbox in the same
transaction as the effect; a duplicate is only acknowledged again.
"""

from __future__ import annotations

from typing import Any, Literal

import structlog
from sqlalchemy.exc import IntegrityError

from edge.wire import messages as wire
from edge.wire import topics
from hub import errors
from hub.adapters.couriers.base import BookingRequest, CourierError, CourierRejected
from hub.adapters.repository import StockWriteRefused
from hub.domain import commands
from hub.domain.courier_rules import NoServiceFits
from hub.domain.model import Order, OrderStatus, Shipment
from hub.domain.timeline import Step
from hub.service_layer import waves
from hub.service_layer.bench_labels import record_printer, send_print_label
from hub.service_layer.booking import booking_context, record_booking_exception
from hub.service_layer.channels.tracking import queue_tracking_push
from hub.service_layer.context import HubContext
from hub.service_layer.dispatch import assign_pack_jobs, assign_pick_tasks, send_pack_job
from hub.service_layer.handlers import pick_direct, returns
from hub.service_layer.handlers.pick_direct import actor, picked_details
from hub.service_layer.outbox import queue_notification
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
Outcome = Literal["applied", "duplicate", "state"]


def handle_device_message(cmd: commands.DeviceMessage, uow: UnitOfWork,
                          ctx: HubContext) -> Outcome:
    outcome = _apply(cmd, uow, ctx, direct=True)
    uow.commit()
    return outcome


RUN = 50  # messages applied under one savepoint before the next one starts


def handle_device_batch(cmd: commands.DeviceBatch, uow: UnitOfWork, ctx: HubContext
                        ) -> list[Outcome | errors.HubError | CourierError]:
    """Handle messages in arrival order in one transaction (one commit for many events);
    a refused message is undone alone and reported in its place.

    Runs of up to ``RUN`` messages are applied under one savepoint with their inbox ids
    claimed by one statement and their stock consumption summed per balance (see
    ``Repository.defer_stock_writes``). Only when something in a run is refused is the run
    undone and redone one savepoint per message, which gives exactly what the per-message
    path gives.
    A pack verification books a parcel with the courier (an outside call that must not be
    repeated), so it always takes the per-message path."""
    if len(cmd.messages) == 1:
        return [_apply_alone(cmd.messages[0], uow, ctx)]
    results: list[Outcome | errors.HubError | CourierError] = []
    pending: list[commands.DeviceMessage] = []
    # the orders the events name, locked up front in one order (see Repository.lock_orders)
    uow.repo.lock_orders([order_id for item in cmd.messages
                          if isinstance(order_id := getattr(item.message, "order_id", None),
                                        str)])
    for item in cmd.messages:
        if isinstance(item.message, wire.PackVerified):
            results.extend(_apply_run(pending, uow, ctx))
            pending = []
            results.extend(_apply_each([item], uow, ctx))
            continue
        pending.append(item)
        if len(pending) >= RUN:
            results.extend(_apply_run(pending, uow, ctx))
            pending = []
    results.extend(_apply_run(pending, uow, ctx))
    uow.commit()
    return results


def _apply_run(run: list[commands.DeviceMessage], uow: UnitOfWork, ctx: HubContext
               ) -> list[Outcome | errors.HubError | CourierError]:
    if not run:
        return []
    if len(run) == 1:
        return _apply_each(run, uow, ctx)
    try:
        with uow.savepoint():
            uow.repo.defer_stock_writes()
            try:
                claimed = _claim_run(run, uow, ctx)
                results: list[Outcome | errors.HubError | CourierError] = [
                    _apply(item, uow, ctx, claimed=claimed) for item in run]
                uow.repo.write_deferred()
            finally:
                uow.repo.stop_deferring()
        return results
    except (errors.HubError, IntegrityError, CourierError, StockWriteRefused):
        return _apply_each(run, uow, ctx)


def _claim_run(run: list[commands.DeviceMessage], uow: UnitOfWork, ctx: HubContext
               ) -> set[str]:
    """Claim the run's event ids in one statement; a repeated id counts once (the first)."""
    now = ctx.now()
    rows = {m.msg_id: (m.msg_id, m.device_id, m.type, now) for m in
            (item.message for item in run) if not _is_state(m)}
    return uow.repo.claim_messages(list(rows.values()))


def _apply_alone(item: commands.DeviceMessage, uow: UnitOfWork, ctx: HubContext
                 ) -> Outcome | errors.HubError | CourierError:
    """A batch of one, the usual case on a quiet floor (a scan on its own), without a
    savepoint: a refused message rolls the transaction back instead."""
    try:
        outcome = _apply(item, uow, ctx, direct=True)
        uow.commit()
    except REFUSALS as exc:
        uow.rollback()
        return _refusal(exc)
    return outcome


def _apply_each(run: list[commands.DeviceMessage], uow: UnitOfWork, ctx: HubContext
                ) -> list[Outcome | errors.HubError | CourierError]:
    results: list[Outcome | errors.HubError | CourierError] = []
    for item in run:
        try:
            with uow.savepoint():
                results.append(_apply(item, uow, ctx))
        except REFUSALS as exc:
            results.append(_refusal(exc))
    return results


# What undoes one message and is reported in its place: a refusal, the database's, or the
# courier being away (the device resends it later).
REFUSALS = (errors.HubError, IntegrityError, CourierError)


def _refusal(exc: errors.HubError | IntegrityError | CourierError
             ) -> errors.HubError | CourierError:
    if isinstance(exc, IntegrityError):
        return errors.Conflict(f"the database refused it: {exc.orig}")
    return exc


def _is_state(message: Any) -> bool:
    return isinstance(message, wire.DeviceStatus | wire.PeripheralStatus | wire.Health)


def _apply(cmd: commands.DeviceMessage, uow: UnitOfWork, ctx: HubContext,
           claimed: set[str] | None = None, direct: bool = False) -> Outcome:
    """Apply one message; ``claimed`` holds the ids its run already claimed (each id is
    taken out when used, so a repeat within the run is a duplicate). ``direct``: the message
    is alone in its transaction, so a pick confirmation may take ``pick_direct`` (no objects
    in the session can go stale under its plain SQL writes)."""
    message = cmd.message
    if _is_state(message):
        _apply_state(message, topics.parse(cmd.topic).site, uow, ctx)
        return "state"
    if direct and isinstance(message, wire.PickConfirmed):
        outcome = pick_direct.confirm(message, uow, ctx)  # claims the id itself
        if outcome != "claimed":
            return outcome
    elif claimed is not None:
        if message.msg_id not in claimed:
            return "duplicate"
        claimed.discard(message.msg_id)
    elif not uow.repo.claim_message(message.msg_id, message.device_id, message.type,
                                    ctx.now()):
        return "duplicate"
    handler = EVENT_HANDLERS.get(type(message))
    if handler is None:
        raise errors.InvalidInput(f"no handler for {message.type}")
    handler(message, uow, ctx)
    return "applied"


# --- state ---------------------------------------------------------------------------------

def _apply_state(message: Any, site: str, uow: UnitOfWork, ctx: HubContext) -> None:
    now = ctx.now()
    if isinstance(message, wire.DeviceStatus):
        current = uow.repo.device(message.device_id)
        if (message.state == "offline" and current is not None
                and message.bdseq < current.bdseq):
            log.info("stale_death_ignored", device_id=message.device_id, bdseq=message.bdseq)
            return
        values: dict[str, Any] = {"site": site, "state": message.state, "bdseq": message.bdseq,
                                  "last_seen": now}
        if message.state == "online":
            values.update(role=message.role, zone=message.zone, locations=message.locations,
                          peripherals=message.peripherals, version=message.version)
            record_printer(uow, message.device_id, message.printer, now)
        else:
            values.setdefault("locations", current.locations if current else [])
            values.setdefault("peripherals", current.peripherals if current else {})
        uow.repo.upsert_device(message.device_id, **values)
        if message.state == "online":
            uow.session.flush()
            assign_pick_tasks(uow, ctx)
            assign_pack_jobs(uow, ctx)
    elif isinstance(message, wire.PeripheralStatus):
        current = uow.repo.device(message.device_id)
        peripherals = dict(current.peripherals) if current else {}
        peripherals[message.peripheral] = message.state
        if current is None:
            uow.repo.upsert_device(message.device_id, site=site, state="online", locations=[],
                                   peripherals=peripherals, last_seen=now)
        else:
            uow.repo.update_device(message.device_id, peripherals=peripherals, last_seen=now)
    elif isinstance(message, wire.Health):
        uow.repo.update_device(message.device_id, last_seen=now,
                               outbox_depth=message.outbox_depth,
                               peripherals=message.peripherals or None)


# --- events --------------------------------------------------------------------------------

def _order(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.repo.get_order(order_id, lock=True)
    if order is None:
        raise errors.NotFound(f"order {order_id!r} not found")
    return order


def _pick_and_order(uow: UnitOfWork,
                    event: wire.PickConfirmed | wire.PickShort) -> tuple[Any, Any, Order]:
    task = uow.repo.get_task(event.task_id)
    if task is None and (own := waves.task_of_trip_pick(uow.session, event.task_id,
                                                        event.pick_id)):
        task = uow.repo.get_task(own)  # a wave trip: the pick belongs to its order's task
    if task is None:
        raise errors.NotFound(f"pick task {event.task_id!r} not found")
    if not uow.repo.holds_lock(task.order_id):
        # picks change under their order's lock: read them again once it is held, or a
        # concurrent writer (another hub replica) could be overwritten with stale counts
        order = _order(uow, task.order_id)
        task = uow.repo.get_task(task.id, reload=True)
        assert task is not None  # tasks are never deleted
    else:
        order = _order(uow, task.order_id)
    pick = next((p for p in task.picks if p.id == event.pick_id), None)
    if pick is None:
        raise errors.NotFound(f"pick {event.pick_id!r} is not in task {event.task_id}")
    if pick.sku != event.sku or pick.location != event.location:
        raise errors.InvalidInput(
            f"pick {pick.id} is {pick.sku} at {pick.location}, not {event.sku} at "
            f"{event.location}")
    return task, pick, order


def _consume(uow: UnitOfWork, ctx: HubContext, order: Order, sku: str, location: str,
             qty: int) -> None:
    if not uow.repo.consume_reserved(sku, location, qty):
        raise errors.Conflict(f"{qty} x {sku} at {location} is not reserved for order {order.id}")
    uow.repo.record_movement(sku, location, "pick", -qty, ctx.now(), order_id=order.id)
    item = uow.repo.get_sku(sku)
    if item is None or item.reorder_level <= 0:
        return
    on_hand_after = sum(row.on_hand for row in uow.repo.balances(sku))
    if on_hand_after < item.reorder_level <= on_hand_after + qty:
        order.record(Step.RESTOCK, "restock_needed", ctx.now(), sku=sku,
                     on_hand=on_hand_after, reorder_level=item.reorder_level)
        queue_notification(uow, ctx, "restock_needed", None, order.id, sku=sku,
                           on_hand=on_hand_after, reorder_level=item.reorder_level)


def _after_pick(uow: UnitOfWork, ctx: HubContext, task: Any, pick: Any, order: Order) -> None:
    if pick.qty_picked + pick.qty_short >= pick.qty:
        pick.status = "short" if pick.qty_short else "done"
        waves.after_pick(uow.session, pick.id, ctx.now())
    if all(p.status != "open" for p in task.picks):
        task.status = "done"
    if not order.is_fully_picked():
        return
    now = ctx.now()
    order.status = OrderStatus.PICKED
    short = sum(line.qty_short for line in order.lines)
    order.record(Step.PICKED, "order_picked", now, outcome="short" if short else "ok",
                 units_picked=sum(line.qty_picked for line in order.lines), units_short=short)
    order.record(Step.STOCK_UPDATED, "stock_updated", now,
                 movements=[{"sku": line.sku, "qty": -line.qty_picked} for line in order.lines])
    uow.session.flush()
    send_pack_job(uow, ctx, order)


def pick_confirmed(event: wire.PickConfirmed, uow: UnitOfWork, ctx: HubContext) -> None:
    task, pick, order = _pick_and_order(uow, event)
    if pick.qty_picked + pick.qty_short + event.qty > pick.qty:
        raise errors.Conflict(f"pick {pick.id} wants {pick.qty}; {event.qty} more is too many")
    _consume(uow, ctx, order, pick.sku, pick.location, event.qty)
    pick.qty_picked += event.qty
    line = order.line_for(pick.sku)
    if line is not None:
        line.qty_picked += event.qty
    order.record(Step.PICKED, "item_picked", event.ts, actor=actor(event),
                 **picked_details(event, pick.sku, pick.location, task.id))
    _after_pick(uow, ctx, task, pick, order)


def pick_short(event: wire.PickShort, uow: UnitOfWork, ctx: HubContext) -> None:
    task, pick, order = _pick_and_order(uow, event)
    if pick.qty_picked + pick.qty_short + event.qty_picked + event.qty_short > pick.qty:
        raise errors.Conflict(f"pick {pick.id} wants {pick.qty}; the short report exceeds it")
    if event.qty_picked:
        _consume(uow, ctx, order, pick.sku, pick.location, event.qty_picked)
    if not uow.repo.unreserve(pick.sku, pick.location, event.qty_short):
        raise errors.Conflict(f"{event.qty_short} x {pick.sku} is not reserved at {pick.location}")
    uow.repo.record_movement(pick.sku, pick.location, "release", -event.qty_short, ctx.now(),
                             order_id=order.id, ref="short pick")
    pick.qty_picked += event.qty_picked
    pick.qty_short += event.qty_short
    line = order.line_for(pick.sku)
    if line is not None:
        line.qty_picked += event.qty_picked
        line.qty_short += event.qty_short
    order.record(Step.PICKED, "item_short", event.ts, actor=actor(event), outcome="short",
                 sku=pick.sku, location=pick.location, qty_picked=event.qty_picked,
                 qty_short=event.qty_short, task_id=task.id)
    _after_pick(uow, ctx, task, pick, order)


def scan_rejected(event: wire.ScanRejected, uow: UnitOfWork, ctx: HubContext) -> None:
    if event.order_id is None or uow.repo.get_order(event.order_id) is None:
        log.info("scan_rejected_without_order", device_id=event.device_id,
                 barcode=event.barcode, reason=event.reason)
        return
    order = _order(uow, event.order_id)
    step = Step.PICKED if event.context == "pick" else Step.PACKED
    order.record(step, "scan_rejected", event.ts, actor=actor(event), outcome=event.reason,
                 barcode=event.barcode, task_id=event.task_id)


def pack_verified(event: wire.PackVerified, uow: UnitOfWork, ctx: HubContext) -> None:
    order = _order(uow, event.order_id)
    if order.status not in (OrderStatus.PICKED, OrderStatus.PACKED):
        raise errors.InvalidTransition(f"order {order.id} is {order.status}, not picked")
    order.record(Step.PACKED, "pack_verified", event.ts, actor=actor(event),
                 weight_g=event.weight_g, expected_g=event.expected_g,
                 tolerance_g=event.tolerance_g)
    shipment = uow.repo.shipment_for_order(order.id)
    booking = None
    if shipment is None:
        now = ctx.now()
        try:
            booking = ctx.courier.book(BookingRequest(
                order_id=order.id, parcel_id=f"{order.id}-1", ship_to=order.ship_to,
                weight_g=event.weight_g, service_level=order.service_level,
                serial=uow.repo.next_counter("parcel"), **booking_context(order)))
        except (NoServiceFits, CourierRejected) as exc:
            record_booking_exception(order, exc, now)
            return
        shipment = Shipment(f"shp_{order.id[4:]}", order.id, booking.courier, booking.service,
                            booking.tracking_number, event.weight_g, now)
        uow.repo.add(shipment)
        order.record(Step.SHIPPING_BOOKED, "shipping_booked", now, courier=booking.courier,
                     service=booking.service, why=booking.why)
        order.record(Step.TRACKING_RECORDED, "tracking_recorded", now,
                     tracking_number=booking.tracking_number)
    order.status = OrderStatus.PACKED
    send_print_label(uow, ctx, event.device_id, order, shipment, f"label_{shipment.id}",
                     event.weight_g, booking)


def weight_mismatch(event: wire.WeightMismatch, uow: UnitOfWork, ctx: HubContext) -> None:
    order = _order(uow, event.order_id)
    order.record(Step.PACKED, "weight_checked", event.ts, actor=actor(event),
                 outcome="weight_mismatch", weight_g=event.weight_g,
                 expected_g=event.expected_g, tolerance_g=event.tolerance_g)


def label_printed(event: wire.LabelPrinted, uow: UnitOfWork, ctx: HubContext) -> None:
    order = _order(uow, event.order_id)
    shipment = uow.repo.get_shipment(event.shipment_id)
    if shipment is None or shipment.order_id != order.id:
        raise errors.NotFound(f"shipment {event.shipment_id!r} is not order {order.id}'s")
    reprint = shipment.label_printed_at is not None
    shipment.label_printed_at = event.ts
    order.record(Step.LABEL_PRINTED, "label_printed", event.ts, actor=actor(event),
                 tracking_number=shipment.tracking_number, reprint=reprint)
    if not reprint:
        order.record(Step.PACKED, "order_packed", event.ts, actor=actor(event))
        queue_tracking_push(uow, ctx, order, shipment)  # tells the channel, via the outbox
    order.status = OrderStatus.LABELLED


def command_ack(event: wire.CommandAck, uow: UnitOfWork, ctx: HubContext) -> None:
    if event.status == "done":
        return
    log.warning("command_not_done", device_id=event.device_id, command_id=event.command_id,
                status=event.status, reason=event.reason)
    if event.command_id.startswith("cmd_trp_"):
        for order_id in waves.trip_orders(uow.session, event.command_id[4:]):
            _order(uow, order_id).record(
                Step.PICKED, "pick_task_refused", event.ts, actor=actor(event),
                outcome=f"command_{event.status}", reason=event.reason,
                task_id=event.command_id[4:])
    if event.command_id.startswith("cmd_tsk_"):
        task = uow.repo.get_task(event.command_id[4:])
        if task is not None and task.status == "open":
            order = _order(uow, task.order_id)
            order.record(Step.PICKED, "pick_task_refused", event.ts, actor=actor(event),
                         outcome=f"command_{event.status}", reason=event.reason,
                         task_id=task.id)


EVENT_HANDLERS: dict[type, Any] = {
    wire.PickConfirmed: pick_confirmed,
    wire.PickShort: pick_short,
    wire.ScanRejected: scan_rejected,
    wire.PackVerified: pack_verified,
    wire.WeightMismatch: weight_mismatch,
    wire.LabelPrinted: label_printed,
    wire.CommandAck: command_ack,
    wire.ReturnScanned: returns.return_scanned,
}
