"""Which device gets which work: pick tasks to the zone device that has a light at the
pick's location, pack jobs to the least busy online pack bench."""

from __future__ import annotations

from collections import Counter

from edge.wire.messages import PackJob, PackLine, PickLine
from edge.wire.messages import PickTask as PickTaskCommand
from hub.adapters import orm
from hub.domain.model import Order, OrderStatus
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import send_command
from hub.service_layer.unit_of_work import UnitOfWork
from hub.service_layer.waves import assign_trips, waved_task_ids


def _zone_devices(uow: UnitOfWork) -> list[tuple[str, str | None, set[str]]]:
    return [(row.device_id, row.zone, set(row.locations or []))
            for row in uow.repo.online_devices("pick_zone")]


def assign_pick_tasks(uow: UnitOfWork, ctx: HubContext) -> int:
    """Send every unassigned open task to a device that covers all its locations."""
    devices = _zone_devices(uow)
    if not devices:
        return 0
    sent = assign_trips(uow, ctx, devices)
    tasks = uow.repo.unassigned_tasks(None)
    waved = waved_task_ids(uow.session, [task.id for task in tasks])
    for task in tasks:
        if task.id in waved:  # picked on a wave trip instead
            continue
        wanted = {pick.location for pick in task.picks}
        device = next((d for d, zone, locs in devices if wanted <= locs), None)
        if device is None:
            device = next((d for d, zone, locs in devices if zone == task.zone and not locs),
                          None)
        if device is None:
            continue
        skus = {s.sku: s for s in uow.repo.skus(sorted({p.sku for p in task.picks}))}
        task.device_id = device
        send_command(uow, ctx, device, PickTaskCommand, order_id=task.order_id,
                     command_id=f"cmd_{task.id}", task_id=task.id, colour=task.colour,
                     picks=[PickLine(pick_id=p.id, location=p.location, sku=p.sku,
                                     barcode=skus[p.sku].barcode, qty=p.qty)
                            for p in task.picks])
        sent += 1
    return sent


def _bench_load(uow: UnitOfWork) -> Counter[str]:
    rows = uow.session.execute(
        orm.orders.select().with_only_columns(orm.orders.c.pack_device_id).where(
            orm.orders.c.status.in_([OrderStatus.PICKED.value, OrderStatus.PACKED.value]),
            orm.orders.c.pack_device_id.is_not(None)))
    return Counter(row.pack_device_id for row in rows)


def send_pack_job(uow: UnitOfWork, ctx: HubContext, order: Order) -> bool:
    benches = [row.device_id for row in uow.repo.online_devices("pack_bench")]
    if not benches:
        return False
    load = _bench_load(uow)
    bench = min(benches, key=lambda d: (load[d], d))
    picked = [(line.sku, line.qty_picked) for line in order.lines if line.qty_picked > 0]
    if not picked:
        return False
    skus = {s.sku: s for s in uow.repo.skus([sku for sku, _ in picked])}
    order.pack_device_id = bench
    send_command(uow, ctx, bench, PackJob, order_id=order.id, command_id=f"pack_{order.id}",
                 order_ref=order.id,
                 lines=[PackLine(sku=sku, barcode=skus[sku].barcode, qty=qty,
                                 unit_weight_g=skus[sku].unit_weight_g) for sku, qty in picked],
                 packaging_g=ctx.settings.packaging_g,
                 tolerance_g=ctx.settings.weight_tolerance_g)
    return True


def assign_pack_jobs(uow: UnitOfWork, ctx: HubContext) -> int:
    waiting = [o for o in uow.repo.list_orders(OrderStatus.PICKED.value, 1000, 0)
               if o.pack_device_id is None]
    return sum(send_pack_job(uow, ctx, order) for order in waiting)
