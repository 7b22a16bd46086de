"""The fulfilment process (shared/PRODUCT.md): 20 steps, each an event type on the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any


class Step(IntEnum):
    ORDER_RECEIVED = 1
    PAYMENT = 2
    CUSTOMER_CONFIRMED = 3
    RECORDED = 4
    RELEASED = 5
    PICKED = 6
    SHIPPING_BOOKED = 7
    TRACKING_RECORDED = 8
    STOCK_UPDATED = 9
    RESTOCK = 10
    LABEL_PRINTED = 11
    PACKED = 12
    HANDED_OVER = 13
    SHIPPING_NOTIFIED = 14
    DELIVERED = 15
    COMPLAINT = 16
    SOLUTION = 17
    RETURN = 18
    REPLACEMENT = 19
    REVIEW_REQUESTED = 20


STEP_TITLES: dict[Step, str] = {
    Step.ORDER_RECEIVED: "Order received",
    Step.PAYMENT: "Payment processed",
    Step.CUSTOMER_CONFIRMED: "Customer notified of confirmation",
    Step.RECORDED: "Order entered in records",
    Step.RELEASED: "Released to fulfilment",
    Step.PICKED: "Items picked",
    Step.SHIPPING_BOOKED: "Shipping booked",
    Step.TRACKING_RECORDED: "Tracking recorded",
    Step.STOCK_UPDATED: "Stock updated",
    Step.RESTOCK: "Re-stock notification",
    Step.LABEL_PRINTED: "Label printed",
    Step.PACKED: "Order packed",
    Step.HANDED_OVER: "Handed to courier",
    Step.SHIPPING_NOTIFIED: "Shipping notification sent",
    Step.DELIVERED: "Delivered",
    Step.COMPLAINT: "Complaint",
    Step.SOLUTION: "Solution offered",
    Step.RETURN: "Return processed",
    Step.REPLACEMENT: "Replacement order",
    Step.REVIEW_REQUESTED: "Review requested",
}

OK = "ok"
SYSTEM = "system"


class TimelineEvent:
    """One thing that happened to an order at one step, by one actor, with its outcome.

    ``outcome`` is ``ok`` or an error code (``wrong_item``, ``weight_mismatch`` ...).
    """

    id: int | None

    def __init__(self, order_id: str, step: Step, name: str, at: datetime,
                 actor: str = SYSTEM, outcome: str = OK,
                 details: dict[str, Any] | None = None) -> None:
        self.id = None
        self.order_id = order_id
        self.step = int(step)
        self.name = name
        self.at = at
        self.actor = actor
        self.outcome = outcome
        self.details = details or {}


@dataclass(frozen=True)
class StepDuration:
    step: Step
    seconds: float
