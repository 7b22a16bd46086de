"""The label a pack bench prints: the hub's LabelData always, and the courier's own label
converted for the bench's printer when the courier sent one (pack_verified and reprint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import delete, insert, select

from edge.wire import messages as wire
from hub.adapters.couriers.base import Booking
from hub.adapters.orm_printers import bench_printers
from hub.domain.model import Order, Shipment
from hub.domain.timeline import Step
from hub.labels.for_bench import label_for_bench
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import send_command
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
ADDRESS_KEYS = ("name", "company", "line1", "line2", "city", "postcode", "country")


def record_printer(uow: UnitOfWork, device_id: str, printer: wire.PrinterInfo | None,
                   at: datetime) -> None:
    """What the bench said in its birth message; no printer reported forgets the old one."""
    uow.session.execute(delete(bench_printers).where(bench_printers.c.device_id == device_id))
    if printer is not None:
        uow.session.execute(insert(bench_printers).values(
            device_id=device_id, language=printer.language, dpi=printer.dpi,
            width_dots=printer.width_dots, formats=list(printer.formats), reported_at=at))


def bench_printer(uow: UnitOfWork, device_id: str) -> wire.PrinterInfo | None:
    row = uow.session.execute(select(bench_printers).where(
        bench_printers.c.device_id == device_id)).first()
    if row is None:
        return None
    return wire.PrinterInfo(language=row.language, dpi=row.dpi, width_dots=row.width_dots,
                            formats=list(row.formats))


def address_lines(ship_to: dict[str, Any]) -> list[str]:
    lines = [str(ship_to[k]) for k in ADDRESS_KEYS if ship_to.get(k)]
    return lines[:8] or ["(no address)"]


def send_print_label(uow: UnitOfWork, ctx: HubContext, device_id: str, order: Order,
                     shipment: Shipment, command_id: str, weight_g: float,
                     booking: Booking | None = None) -> str:
    """Queue a print_label for the bench; ``booking`` (else the stored one) has the
    courier's label. A label that cannot go is on the timeline with the reason."""
    if booking is None:
        booking = ctx.courier.stored_booking(shipment.tracking_number)
    document, note = (None, None) if booking is None else label_for_bench(
        booking.label, booking.label_format, bench_printer(uow, device_id))
    if note is not None:
        order.record(Step.LABEL_PRINTED, "courier_label_not_sent", ctx.now(),
                     reason=note, label_format=booking.label_format if booking else "",
                     device_id=device_id, fallback="hub layout")
        log.warning("courier_label_not_sent", order_id=order.id, device_id=device_id,
                    reason=note)
    return send_command(
        uow, ctx, device_id, wire.PrintLabel, order_id=order.id, command_id=command_id,
        shipment_id=shipment.id, courier_label=document, courier_label_note=note,
        label=wire.LabelData(order_ref=order.id, ship_to=address_lines(order.ship_to),
                             courier=shipment.courier, service=shipment.service,
                             tracking_number=shipment.tracking_number, weight_g=weight_g,
                             qr=shipment.tracking_number))
