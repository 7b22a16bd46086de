"""What pack_verified tells the courier rules about an order, and how a booking that cannot
be made is recorded on the order (an exception for a person, not a crash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from hub.domain.courier_rules import NoServiceFits
from hub.domain.model import Order
from hub.domain.timeline import Step

log = structlog.get_logger(__name__)


def booking_context(order: Order) -> dict[str, Any]:
    return {"channel": order.channel, "skus": tuple(line.sku for line in order.lines),
            "value": float(order.total or 0), "currency": order.currency or "GBP",
            "deliver_by": order.promised_by.date() if order.promised_by else None}


def record_booking_exception(order: Order, exc: Exception, at: datetime) -> None:
    """Shipping not booked: the order stays packed-but-unbooked and the timeline says why."""
    if isinstance(exc, NoServiceFits):
        outcome, reasons = "no_service_fits", exc.reasons
    else:
        outcome, reasons = "courier_rejected", [str(exc)]
    order.record(Step.SHIPPING_BOOKED, "shipping_exception", at, outcome=outcome,
                 reasons=reasons, why="no label printed until shipping is booked")
    log.warning("shipping_not_booked", order_id=order.id, outcome=outcome, reasons=reasons)
