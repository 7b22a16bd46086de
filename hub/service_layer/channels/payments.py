"""Payments (step 2): a gateway's verdict on a direct order. A succeeded payment for the
order's total releases the hold; a failure or refund is recorded and the order stays held."""

from __future__ import annotations

from typing import Any

from hub.adapters.channel_repository import ChannelRepository
from hub.domain import channel_commands as cc
from hub.domain.model import OrderStatus, PaymentStatus
from hub.domain.timeline import Step
from hub.errors import InvalidInput, NotFound
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

OUTCOMES = ("succeeded", "failed", "refunded")


def record_payment(cmd: cc.RecordPayment, uow: UnitOfWork, ctx: HubContext) -> str:
    """Returns what happened: paid | failed | refunded | mismatch | replayed | noop."""
    if cmd.outcome not in OUTCOMES:
        raise InvalidInput(f"payment outcome must be one of {', '.join(OUTCOMES)}")
    repo = ChannelRepository(uow.session)
    if not repo.claim_delivery(cmd.provider, cmd.event_id, ctx.now()):
        return "replayed"
    order = uow.repo.get_order(cmd.order_id, lock=True)
    if order is None:
        raise NotFound(f"order {cmd.order_id!r} not found")
    now, actor = ctx.now(), f"gateway:{cmd.provider}"
    details: dict[str, Any] = {"provider_ref": cmd.provider_ref, "event_id": cmd.event_id,
               "amount": None if cmd.amount is None else str(cmd.amount),
               "currency": cmd.currency}
    result: str
    if cmd.outcome == "succeeded":
        if order.payment_status == PaymentStatus.PAID:
            result = "noop"
        elif (cmd.amount is not None and cmd.amount != order.total) or (
                cmd.currency is not None and cmd.currency.upper() != order.currency):
            order.record(Step.PAYMENT, "payment_mismatch", now, actor=actor,
                         outcome="amount_mismatch", expected=str(order.total),
                         expected_currency=order.currency, **details)
            result = "mismatch"
        else:
            order.payment_status = str(PaymentStatus.PAID)
            if order.status == OrderStatus.HELD:
                order.status = str(OrderStatus.READY)
            order.record(Step.PAYMENT, "payment_confirmed", now, actor=actor, **details)
            result = "paid"
    elif cmd.outcome == "failed":
        if order.payment_status == PaymentStatus.PAID:
            result = "noop"  # a late failure of an earlier attempt; the order is paid
        else:
            order.payment_status = str(PaymentStatus.FAILED)
            order.record(Step.PAYMENT, "payment_failed", now, actor=actor,
                         outcome="payment_failed", reason=cmd.reason, **details)
            result = "failed"
    else:
        order.payment_status = str(PaymentStatus.REFUNDED)
        if order.status in (OrderStatus.READY, OrderStatus.HELD):
            order.status = str(OrderStatus.HELD)
        order.record(Step.PAYMENT, "payment_refunded", now, actor=actor,
                     outcome="payment_refunded", order_status=order.status, **details)
        result = "refunded"
    uow.commit()
    return result
