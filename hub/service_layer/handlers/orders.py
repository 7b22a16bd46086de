"""Orders: receive (steps 1, 2, 4 and the confirmation of step 3), release (step 5)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Set as AbstractSet
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from hub import errors
from hub.domain import commands
from hub.domain.model import Order, OrderLine, OrderStatus, PaymentStatus, Pick, PickTask
from hub.domain.timeline import Step
from hub.service_layer.context import HubContext
from hub.service_layer.customer_messages import queue_message, queue_messages
from hub.service_layer.dispatch import assign_pick_tasks
from hub.service_layer.unit_of_work import UnitOfWork
from hub.service_layer.warehouse_layout import route_picks

COLOURS = ("green", "blue", "magenta", "cyan", "yellow", "white")


def create_order(cmd: commands.CreateOrder, uow: UnitOfWork, ctx: HubContext) -> tuple[str, bool]:
    """Store a canonical order once per (channel, channel_ref); returns (order id, created)."""
    order_id, created = stage_order(cmd, uow, ctx)
    if created:
        uow.commit()
    return order_id, created


RUN = 50  # orders staged under one savepoint before the next one starts


def create_orders(cmd: commands.CreateOrders, uow: UnitOfWork, ctx: HubContext
                  ) -> list[tuple[str, bool] | errors.HubError]:
    """Store many orders with one commit; each result is (order id, created) or the error
    that refused that order alone. Runs of ``RUN`` orders share a savepoint; a run the
    database refuses (e.g. a channel reference stored meanwhile by another request) is undone
    and redone one savepoint per order."""
    results: list[tuple[str, bool] | errors.HubError] = []
    for start in range(0, len(cmd.orders), RUN):
        run = cmd.orders[start:start + RUN]
        try:
            with uow.savepoint():
                staged = _stage_run(run, uow, ctx)
            results.extend(staged)
        except (errors.HubError, IntegrityError):
            results.extend(_stage_each(run, uow, ctx))
    uow.commit()
    return results


def _stage_run(run: list[commands.CreateOrder], uow: UnitOfWork, ctx: HubContext
               ) -> list[tuple[str, bool] | errors.HubError]:
    """Stage a run set-based: one query for the stored channel references, one for the SKUs,
    then one insert per table (orders, lines, timeline, customer messages, outbox) for all
    the run's new orders. An order that cannot be taken is refused in its place."""
    stored = uow.repo.orders_by_channel_refs([(o.channel, o.channel_ref) for o in run])
    names = {sku.sku: sku.name
             for sku in uow.repo.skus(sorted({ln.sku for o in run for ln in o.lines}))}
    staged: list[tuple[str, bool] | errors.HubError] = []
    new: list[Order] = []
    for cmd in run:
        key = (cmd.channel, cmd.channel_ref)
        if key in stored:
            staged.append((stored[key], False))
            continue
        try:
            order = new_order(cmd, names.keys(), ctx.now())
        except errors.HubError as exc:
            staged.append(exc)
            continue
        stored[key] = order.id
        new.append(order)
        staged.append((order.id, True))
    uow.repo.insert_orders(new)
    queue_messages(uow, ctx, new, "order_confirmed", "received", names)
    return staged


def _stage_each(run: list[commands.CreateOrder], uow: UnitOfWork, ctx: HubContext
                ) -> list[tuple[str, bool] | errors.HubError]:
    results: list[tuple[str, bool] | errors.HubError] = []
    for order in run:
        try:
            with uow.savepoint():
                results.append(stage_order(order, uow, ctx))
        except errors.HubError as exc:
            results.append(exc)
        except IntegrityError as exc:
            results.append(errors.Conflict(f"the database refused it: {exc.orig}"))
    return results


def stage_order(cmd: commands.CreateOrder, uow: UnitOfWork, ctx: HubContext
                ) -> tuple[str, bool]:
    """create_order without the commit, for callers that add to the same transaction."""
    existing = uow.repo.order_by_channel_ref(cmd.channel, cmd.channel_ref)
    if existing is not None:
        return existing.id, False
    skus = sorted({line.sku for line in cmd.lines})
    known = {sku.sku for sku in uow.repo.skus(skus)} if skus else set()
    order = new_order(cmd, known, ctx.now())
    uow.repo.add_order(order)
    queue_message(uow, ctx, order, "order_confirmed", "received")
    return order.id, True


def new_order(cmd: commands.CreateOrder, known_skus: AbstractSet[str], now: datetime) -> Order:
    """The order of ``cmd`` with its timeline entries of steps 1, 2 and 4, not yet stored;
    InvalidInput when it cannot be taken (``known_skus``: which of its SKUs exist)."""
    if not cmd.lines:
        raise errors.InvalidInput("an order needs at least one line")
    unknown = sorted({line.sku for line in cmd.lines} - known_skus)
    if unknown:
        raise errors.InvalidInput(f"unknown SKU(s): {', '.join(unknown)}")
    try:
        payment = PaymentStatus(cmd.payment_status)
    except ValueError:
        raise errors.InvalidInput(
            f"payment_status must be one of {[p.value for p in PaymentStatus]}") from None
    order = Order(
        id=f"ord_{uuid.uuid4().hex[:20]}", channel=cmd.channel, channel_ref=cmd.channel_ref,
        lines=[OrderLine(i, line.sku, line.qty, line.unit_price)
               for i, line in enumerate(cmd.lines, start=1)],
        ship_to=cmd.ship_to, currency=cmd.currency, total=cmd.total, payment_status=payment,
        created_at=now, customer_email=cmd.customer_email, promised_by=cmd.promised_by,
        service_level=cmd.service_level)
    order.record(Step.ORDER_RECEIVED, "order_received", now, actor=f"channel:{cmd.channel}",
                 channel_ref=cmd.channel_ref, lines=len(cmd.lines), units=order.units)
    if payment is PaymentStatus.PAID:
        order.record(Step.PAYMENT, "payment_confirmed", now, total=str(cmd.total),
                     currency=cmd.currency)
        order.status = OrderStatus.READY
    else:
        order.record(Step.PAYMENT, "payment_pending", now, outcome=f"payment_{payment.value}")
        order.status = OrderStatus.HELD
    order.record(Step.RECORDED, "order_recorded", now)
    return order


def release_order(cmd: commands.ReleaseOrder, uow: UnitOfWork, ctx: HubContext) -> list[str]:
    """Reserve stock for every line and cut pick tasks per zone; all or nothing."""
    order = uow.repo.get_order(cmd.order_id, lock=True)
    if order is None:
        raise errors.NotFound(f"order {cmd.order_id!r} not found")
    if order.status != OrderStatus.READY:
        reason = ("it is waiting for payment" if order.status == OrderStatus.HELD
                  else f"it is {order.status}")
        raise errors.InvalidTransition(f"order {order.id} cannot be released: {reason}")
    now = ctx.now()
    by_zone: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for line in sorted(order.lines, key=lambda item: item.sku):  # one lock order: no deadlocks
        needed = line.qty
        for location, available, zone in uow.repo.pickable_locations(line.sku):
            take = min(needed, int(available))
            if take and uow.repo.reserve(line.sku, location, take):
                uow.repo.record_movement(line.sku, location, "reserve", take, now,
                                         order_id=order.id)
                by_zone[zone].append((line.sku, location, take))
                needed -= take
            if needed == 0:
                break
        if needed:
            raise errors.OutOfStock(
                f"order {order.id}: {needed} of {line.qty} x {line.sku} cannot be reserved")
    colour = COLOURS[uow.repo.next_counter("order_colour") % len(COLOURS)]
    sequence = {loc.code: loc.pick_sequence for loc in uow.repo.locations()}
    task_ids = []
    for zone, wanted in sorted(by_zone.items()):
        task = PickTask(f"tsk_{uuid.uuid4().hex[:20]}", order.id, zone, None, colour, now)
        walk = route_picks(ctx.settings, wanted) or sorted(
            wanted, key=lambda pick: (sequence.get(pick[1], 0), pick[1]))
        task.picks = [Pick(f"pk_{uuid.uuid4().hex[:20]}", sku, location, qty, seq)
                      for seq, (sku, location, qty) in enumerate(walk)]
        uow.repo.add(task)
        task_ids.append(task.id)
    order.status = OrderStatus.RELEASED
    order.record(Step.RELEASED, "order_released", now, actor=cmd.actor, tasks=task_ids,
                 zones=sorted(by_zone))
    uow.session.flush()
    assign_pick_tasks(uow, ctx)
    uow.commit()
    return task_ids
