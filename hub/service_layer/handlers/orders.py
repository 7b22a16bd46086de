"""Orders: receive (steps 1, 2, 4 and the confirmation of step 3), release (step 5)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from hub import errors
from hub.domain import commands
from hub.domain.model import Order, OrderLine, OrderStatus, PaymentStatus, Pick, PickTask
from hub.domain.timeline import Step
from hub.service_layer.context import HubContext
from hub.service_layer.customer_messages import queue_message
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


def stage_order(cmd: commands.CreateOrder, uow: UnitOfWork, ctx: HubContext) -> tuple[str, bool]:
    """create_order without the commit, for callers that add to the same transaction."""
    existing = uow.repo.order_by_channel_ref(cmd.channel, cmd.channel_ref)
    if existing is not None:
        return existing.id, False
    if not cmd.lines:
        raise errors.InvalidInput("an order needs at least one line")
    skus = {line.sku for line in cmd.lines}
    known = {sku.sku for sku in uow.repo.skus(sorted(skus))}
    unknown = sorted(skus - known)
    if unknown:
        raise errors.InvalidInput(f"unknown SKU(s): {', '.join(unknown)}")
    try:
        payment = PaymentStatus(cmd.payment_status)
    except ValueError:
        raise errors.InvalidInput(
            f"payment_status must be one of {[p.value for p in PaymentStatus]}") from None
    now = ctx.now()
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
    uow.repo.add_order(order)
    queue_message(uow, ctx, order, "order_confirmed", "received")
    return order.id, True


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
