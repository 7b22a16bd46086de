"""A hub that books through the rules with Royal Mail Click & Drop on a local server, and
the device events that take an order from release to packed."""

from __future__ import annotations

from typing import Any

from edge.wire import messages as wire
from edge.wire import topics
from hub.bootstrap import Hub
from hub.domain import commands
from tests.integration.hub.conftest import order

CARD = """
zones:
  uk_main: {countries: [GB]}
services:
  - {courier: royalmail, code: TPS48, days: 2, cutoff: "23:59", max_weight_g: 2000,
     rates: {uk_main: [[2000, 3.20]]}}
  - {courier: manual, code: VAN, days: 1, cutoff: "23:59", max_weight_g: 30000,
     rates: {uk_main: [[30000, 8.00]]}}
overrides:
  - {reason: "tees go by van", skus: [TEE], only: ["manual:VAN"]}
"""


def event(model: type[wire.EventBase], seq: int, **fields: Any) -> commands.DeviceMessage:
    message = model(device_id="bench-1", boot_id="b1", seq=seq, **fields)
    return commands.DeviceMessage(topics.event("test", "bench-1", message.type), message)


def pick(hub: Hub, ref: str, sku: str, qty: int) -> tuple[str, int]:
    """A released and fully picked order; returns its id and the last event seq used."""
    order_id, _ = hub.handle(order(ref, (sku, qty)))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        tasks = [(t.id, [(p.id, p.sku, p.location, p.qty) for p in t.picks])
                 for t in uow.repo.tasks_for_order(order_id)]
    seq = 0
    for task_id, picks in tasks:
        for pick_id, pick_sku, location, pick_qty in picks:
            seq += 1
            hub.handle(event(wire.PickConfirmed, seq, task_id=task_id, pick_id=pick_id,
                             order_id=order_id, sku=pick_sku, location=location, qty=pick_qty,
                             method="scan"))
    return order_id, seq


def pack_event(order_id: str, seq: int, sku: str, qty: int,
               weight_g: float) -> commands.DeviceMessage:
    return event(wire.PackVerified, seq, order_id=order_id,
                 lines=[wire.PackedLine(sku=sku, qty=qty)], weight_g=weight_g,
                 expected_g=weight_g, tolerance_g=20.0)


def pick_and_pack(hub: Hub, ref: str, sku: str, qty: int, weight_g: float) -> str:
    order_id, seq = pick(hub, ref, sku, qty)
    hub.handle(pack_event(order_id, seq + 1, sku, qty, weight_g))
    return order_id


def timeline(hub: Hub, order_id: str) -> dict[str, Any]:
    with hub.uow() as uow:
        return {e.name: e for e in uow.repo.timeline(order_id)}


