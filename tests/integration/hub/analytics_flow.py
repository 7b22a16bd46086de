"""Push orders through the real handlers with device events (no broker needed), so the
timeline holds the event names the hub really records."""

from __future__ import annotations

import itertools
from typing import Any

from edge.wire import messages as wire
from edge.wire import topics
from hub.bootstrap import Hub
from hub.domain import commands
from tests.integration.hub.conftest import order

ZONE, BENCH = "zone-t", "bench-t"
_seq = itertools.count(1)


def send(hub: Hub, device: str, model: type[wire.Envelope], **fields: Any) -> None:
    message = model(device_id=device, boot_id="b1", seq=next(_seq), **fields)
    topic = (topics.status(hub.settings.site, device) if isinstance(message, wire.DeviceStatus)
             else topics.event(hub.settings.site, device, str(fields.get("type", "evt"))))
    hub.handle(commands.DeviceMessage(topic, message))


def run_order(hub: Hub, ref: str, *, wrong_scan: bool = False, mismatch: bool = False,
              reprint: bool = False, short: bool = False, channel: str = "web") -> str:
    """One TEE order from receipt to a printed label, with the mistakes asked for."""
    order_id, _ = hub.handle(order(ref, ("TEE", 2), channel=channel))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        task = uow.repo.tasks_for_order(order_id)[0]
        pick = task.picks[0]
        task_id, pick_id = task.id, pick.id
    common = {"task_id": task_id, "pick_id": pick_id, "order_id": order_id, "sku": "TEE",
              "location": pick.location}
    if wrong_scan:
        send(hub, ZONE, wire.ScanRejected, context="pick", barcode="5012345678900",
             reason="wrong_item", order_id=order_id, task_id=task_id)
    if short:
        send(hub, ZONE, wire.PickShort, qty_picked=1, qty_short=1, **common)
    else:
        send(hub, ZONE, wire.PickConfirmed, qty=2, method="scan", operator="amy", **common)
    weight = {"expected_g": 510.0, "tolerance_g": 20.0}
    if mismatch:
        send(hub, BENCH, wire.WeightMismatch, order_id=order_id, weight_g=700.0, **weight)
    send(hub, BENCH, wire.PackVerified, order_id=order_id, weight_g=505.0,
         lines=[{"sku": "TEE", "qty": 1 if short else 2}], **weight)
    with hub.uow() as uow:
        shipment = uow.repo.shipment_for_order(order_id)
        assert shipment is not None
        shipment_id, tracking = shipment.id, shipment.tracking_number
    for _ in range(2 if reprint else 1):
        send(hub, BENCH, wire.LabelPrinted, order_id=order_id, shipment_id=shipment_id,
             tracking_number=tracking)
    return order_id
