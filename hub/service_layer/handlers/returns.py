"""Complaints (step 16), solutions (17), returns (18) and replacements (19).

Each command checks everything before it writes anything, so bad input (an unknown order, a
line not on the order, more units than were shipped, an RMA received twice) changes nothing.
Every decision goes on the original order's timeline; the cause of each complaint and
return is traced from that timeline (hub.domain.complaints.trace_cause).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from edge.wire import messages as wire
from hub import errors
from hub.adapters.couriers.base import BookingRequest, CourierError
from hub.adapters.orm_customer import complaints, refunds, returns
from hub.domain import commands
from hub.domain.commands import Command
from hub.domain.complaints import (
    ComplaintReason,
    InspectionAction,
    Solution,
    trace_cause,
)
from hub.domain.model import Order
from hub.domain.timeline import Step
from hub.service_layer import refunds as refund_adapter
from hub.service_layer.booking import booking_context
from hub.service_layer.context import HubContext
from hub.service_layer.customer_messages import queue_message
from hub.service_layer.handlers.orders import stage_order
from hub.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LineQty:
    line: int
    qty: int


@dataclass(frozen=True)
class RecordComplaint(Command):
    order_id: str
    reason: str
    lines: list[LineQty]
    note: str | None = None
    photos: list[str] = field(default_factory=list)
    actor: str = "ops"


@dataclass(frozen=True)
class OfferSolution(Command):
    complaint_id: str
    solution: str
    amount: Decimal | None = None  # refund: none = the complained lines in full
    actor: str = "ops"


@dataclass(frozen=True)
class AuthoriseReturn(Command):
    order_id: str
    lines: list[LineQty]
    complaint_id: str | None = None
    actor: str = "ops"


@dataclass(frozen=True)
class ReceiveReturn(Command):
    rma: str
    actor: str = "ops"


@dataclass(frozen=True)
class InspectedLine:
    line: int
    qty: int
    action: str
    location: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class InspectReturn(Command):
    rma: str
    lines: list[InspectedLine]
    actor: str = "ops"


@dataclass(frozen=True)
class IssueRefund(Command):
    order_id: str
    amount: Decimal | None = None
    rma: str | None = None
    complaint_id: str | None = None
    actor: str = "ops"


@dataclass(frozen=True)
class CreateReplacement(Command):
    order_id: str
    lines: list[LineQty]
    complaint_id: str | None = None
    actor: str = "ops"


# --- checks -------------------------------------------------------------------------------
def _order(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.repo.get_order(order_id, lock=True)
    if order is None:
        raise errors.NotFound(f"order {order_id!r} not found")
    return order


def _returned_before(uow: UnitOfWork, order_id: str) -> dict[int, int]:
    done: dict[int, int] = {}
    for (lines,) in uow.session.execute(select(returns.c.lines).where(
            returns.c.order_id == order_id)):
        for line in lines:
            done[line["line"]] = done.get(line["line"], 0) + line["qty"]
    return done


def _checked_lines(order: Order, wanted: list[LineQty],
                   already: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """The requested lines with their SKU; raises when one is not on the order or asks for
    more units than were shipped (less what earlier returns took back)."""
    if not wanted:
        raise errors.InvalidInput("name at least one line of the order")
    by_no = {line.line_no: line for line in order.lines}
    seen: set[int] = set()
    out = []
    for item in wanted:
        line = by_no.get(item.line)
        if line is None:
            raise errors.InvalidInput(f"line {item.line} is not on order {order.id} "
                                      f"(lines: {sorted(by_no)})")
        if item.line in seen:
            raise errors.InvalidInput(f"line {item.line} is named twice")
        seen.add(item.line)
        if item.qty < 1:
            raise errors.InvalidInput(f"line {item.line}: quantity must be at least 1")
        shipped = line.qty_picked - (already or {}).get(item.line, 0)
        if item.qty > shipped:
            raise errors.InvalidInput(
                f"line {item.line} ({line.sku}): {item.qty} asked, but only {shipped} "
                f"{'were shipped' if not already else 'shipped and not yet returned'}")
        out.append({"line": item.line, "sku": line.sku, "qty": item.qty,
                    "unit_price": str(line.unit_price)})
    return out


def _complaint(uow: UnitOfWork, complaint_id: str) -> Any:
    row = uow.session.execute(select(complaints).where(complaints.c.id == complaint_id)).first()
    if row is None:
        raise errors.NotFound(f"complaint {complaint_id!r} not found")
    return row


def _return(uow: UnitOfWork, rma: str) -> Any:
    row = uow.session.execute(select(returns).where(
        returns.c.rma == rma.strip().upper())).first()
    if row is None:
        raise errors.NotFound(f"return {rma!r} not found")
    return row


def _cause(uow: UnitOfWork, order: Order, reason: ComplaintReason,
           skus: list[str]) -> dict[str, Any]:
    return trace_cause(reason, skus, list(uow.repo.timeline(order.id))).as_dict()


# --- complaints and solutions -------------------------------------------------------------
def record_complaint(cmd: RecordComplaint, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    try:
        reason = ComplaintReason(cmd.reason)
    except ValueError:
        raise errors.InvalidInput(f"reason must be one of "
                                  f"{', '.join(r.value for r in ComplaintReason)}") from None
    order = _order(uow, cmd.order_id)
    lines = _checked_lines(order, cmd.lines)
    cause = _cause(uow, order, reason, [line["sku"] for line in lines])
    complaint_id = f"cmp_{uuid.uuid4().hex[:16]}"
    now = ctx.now()
    uow.session.execute(insert(complaints).values(
        id=complaint_id, order_id=order.id, reason=reason.value, lines=lines, note=cmd.note,
        photos=list(cmd.photos), cause=cause, created_at=now))
    order.record(Step.COMPLAINT, "complaint_recorded", now, actor=cmd.actor,
                 outcome=reason.value, complaint_id=complaint_id,
                 skus=[line["sku"] for line in lines], sku=lines[0]["sku"],
                 failed_step=cause["failed_step"], photos=len(cmd.photos))
    uow.commit()
    return {"id": complaint_id, "order_id": order.id, "reason": reason.value, "lines": lines,
            "cause": cause}


def offer_solution(cmd: OfferSolution, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    try:
        solution = Solution(cmd.solution)
    except ValueError:
        raise errors.InvalidInput(f"solution must be one of "
                                  f"{', '.join(s.value for s in Solution)}") from None
    row = _complaint(uow, cmd.complaint_id)
    if row.solution is not None:
        raise errors.Conflict(f"complaint {row.id} already has a solution: {row.solution}")
    lines = [LineQty(line["line"], line["qty"]) for line in row.lines]
    result: dict[str, Any] = {"complaint_id": row.id, "solution": solution.value}
    if solution is Solution.RETURN:
        result["return"] = _authorise(uow, ctx, row.order_id, lines, row.id, cmd.actor)
    elif solution is Solution.REPLACEMENT:
        result["replacement_order_id"] = _replace(uow, ctx, row.order_id, lines, row.id,
                                                  cmd.actor)
    else:
        full = sum(Decimal(line["unit_price"]) * line["qty"] for line in row.lines)
        result["refund"] = _refund(uow, ctx, row.order_id, cmd.amount or full, None, row.id,
                                   cmd.actor, limit=full)
    order = _order(uow, row.order_id)
    order.record(Step.SOLUTION, "solution_offered", ctx.now(), actor=cmd.actor,
                 outcome="ok", complaint_id=row.id, solution=solution.value)
    uow.session.execute(update(complaints).where(complaints.c.id == row.id).values(
        solution=solution.value))
    uow.commit()
    return result


# --- returns ------------------------------------------------------------------------------
def _rma_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
    return "RMA-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _authorise(uow: UnitOfWork, ctx: HubContext, order_id: str, wanted: list[LineQty],
               complaint_id: str | None, actor: str) -> dict[str, Any]:
    order = _order(uow, order_id)
    lines = _checked_lines(order, wanted, _returned_before(uow, order.id))
    complaint = _complaint(uow, complaint_id) if complaint_id else None
    reason = ComplaintReason(complaint.reason) if complaint else ComplaintReason.OTHER
    cause = complaint.cause if complaint else _cause(uow, order, reason,
                                                     [line["sku"] for line in lines])
    rma = _rma_code()
    skus = {s.sku: s for s in uow.repo.skus(sorted({line["sku"] for line in lines}))}
    weight = sum(skus[line["sku"]].unit_weight_g * line["qty"] for line in lines) + \
        ctx.settings.packaging_g
    to = ctx.settings.return_ship_to or ctx.settings.ship_from
    try:  # the return label: from the customer back to us, through the courier port
        booking = ctx.courier.book(BookingRequest(
            order_id=order.id, parcel_id=rma, ship_to=to, ship_from=order.ship_to,
            weight_g=weight, service_level="return", serial=uow.repo.next_counter("parcel"),
            **{**booking_context(order), "skus": tuple(skus), "deliver_by": None},
            why=f"return {rma}"))
    except CourierError as exc:
        raise errors.Conflict(f"the return label could not be booked: {exc}") from None
    now = ctx.now()
    uow.session.execute(insert(returns).values(
        rma=rma, order_id=order.id, complaint_id=complaint_id, lines=lines,
        status="authorised", courier=booking.courier, tracking_number=booking.tracking_number,
        cause=cause, created_at=now))
    order.record(Step.RETURN, "return_authorised", now, actor=actor, rma=rma,
                 complaint_id=complaint_id, courier=booking.courier,
                 tracking_number=booking.tracking_number, lines=lines)
    queue_message(uow, ctx, order, "return_authorised", rma, rma_code=rma,
                  return_courier=booking.courier, return_tracking_number=booking.tracking_number)
    return {"rma": rma, "order_id": order.id, "lines": lines, "status": "authorised",
            "courier": booking.courier, "tracking_number": booking.tracking_number,
            "label_format": booking.label_format or None, "cause": cause}


def authorise_return(cmd: AuthoriseReturn, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    result = _authorise(uow, ctx, cmd.order_id, cmd.lines, cmd.complaint_id, cmd.actor)
    uow.commit()
    return result


def _receive(uow: UnitOfWork, ctx: HubContext, rma: str, actor: str) -> str:
    row = _return(uow, rma)
    if row.status != "authorised":
        raise errors.Conflict(f"return {row.rma} was already received "
                              f"({row.received_at:%Y-%m-%d %H:%M} by {row.received_by})")
    now = ctx.now()
    uow.session.execute(update(returns).where(returns.c.rma == row.rma).values(
        status="received", received_at=now, received_by=actor))
    _order(uow, row.order_id).record(Step.RETURN, "return_received", now, actor=actor,
                                     rma=row.rma)
    return str(row.rma)


def receive_return(cmd: ReceiveReturn, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    rma = _receive(uow, ctx, cmd.rma, cmd.actor)
    uow.commit()
    return return_view(_return(uow, rma))


def return_scanned(event: wire.ReturnScanned, uow: UnitOfWork, ctx: HubContext) -> None:
    """A pack bench scanned an RMA (the device message handler commits)."""
    actor = f"{event.device_id}/{event.operator}" if event.operator else event.device_id
    _receive(uow, ctx, event.rma, actor)


def inspect_return(cmd: InspectReturn, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    row = _return(uow, cmd.rma)
    if row.status != "received":
        todo = "receive it first" if row.status == "authorised" else "inspected already"
        raise errors.Conflict(f"return {row.rma} is {row.status}: {todo}")
    expected = {line["line"]: line for line in row.lines}
    counted: dict[int, int] = {}
    for item in cmd.lines:  # check everything before the first write
        if item.line not in expected:
            raise errors.InvalidInput(f"line {item.line} is not on return {row.rma}")
        try:
            action = InspectionAction(item.action)
        except ValueError:
            raise errors.InvalidInput("action must be restock or write_off") from None
        if item.qty < 1:
            raise errors.InvalidInput(f"line {item.line}: quantity must be at least 1")
        counted[item.line] = counted.get(item.line, 0) + item.qty
        if counted[item.line] > expected[item.line]["qty"]:
            raise errors.InvalidInput(f"line {item.line}: {counted[item.line]} inspected, "
                                      f"but {expected[item.line]['qty']} were returned")
        if action is InspectionAction.RESTOCK and (
                not item.location or uow.repo.get_location(item.location) is None):
            raise errors.InvalidInput(f"line {item.line}: restock needs a known location, "
                                      f"not {item.location!r}")
        if action is InspectionAction.WRITE_OFF and not item.reason:
            raise errors.InvalidInput(f"line {item.line}: a write-off needs a reason")
    missing = {n for n, line in expected.items() if counted.get(n, 0) != line["qty"]}
    if missing:
        raise errors.InvalidInput(f"every returned unit needs a decision; lines "
                                  f"{sorted(missing)} are not fully inspected")
    now = ctx.now()
    order = _order(uow, row.order_id)
    lines = [dict(line, restocked=0, written_off=0) for line in row.lines]
    by_no = {line["line"]: line for line in lines}
    for item in cmd.lines:
        line = by_no[item.line]
        if item.action == InspectionAction.RESTOCK:
            assert item.location is not None
            uow.repo.add_on_hand(line["sku"], item.location, item.qty)
            uow.repo.record_movement(line["sku"], item.location, "return", item.qty, now,
                                     order_id=order.id, ref=row.rma)
            line["restocked"] += item.qty
            line["location"] = item.location
        else:
            line["written_off"] += item.qty
            line["write_off_reason"] = item.reason
        order.record(Step.RETURN, "return_inspected", now, actor=cmd.actor,
                     outcome="ok" if item.action == InspectionAction.RESTOCK else "written_off",
                     rma=row.rma, sku=line["sku"], qty=item.qty, action=item.action,
                     location=item.location, reason=item.reason)
    uow.session.execute(update(returns).where(returns.c.rma == row.rma).values(
        status="inspected", inspected_at=now, lines=lines))
    uow.commit()
    return return_view(_return(uow, row.rma))


def return_view(row: Any) -> dict[str, Any]:
    return {"rma": row.rma, "order_id": row.order_id, "complaint_id": row.complaint_id,
            "status": row.status, "lines": row.lines, "courier": row.courier,
            "tracking_number": row.tracking_number, "cause": row.cause,
            "received_at": row.received_at, "received_by": row.received_by,
            "inspected_at": row.inspected_at}


# --- refunds ------------------------------------------------------------------------------
def _refund(uow: UnitOfWork, ctx: HubContext, order_id: str, amount: Decimal,
            rma: str | None, complaint_id: str | None, actor: str,
            limit: Decimal | None = None) -> dict[str, Any]:
    order = _order(uow, order_id)
    refunded = sum((r.amount for r in uow.session.execute(select(refunds.c.amount).where(
        refunds.c.order_id == order.id))), Decimal("0"))
    ceiling = Decimal(order.total) - refunded
    if limit is not None:
        ceiling = min(ceiling, limit)
    if amount <= 0 or amount > ceiling:
        raise errors.InvalidInput(f"refund must be above 0 and at most {ceiling} "
                                  f"{order.currency} ({refunded} refunded before)")
    refund_id = f"rfd_{uuid.uuid4().hex[:16]}"
    result = refund_adapter.refund(ctx.settings, refund_id, amount, order.currency,
                                   list(uow.repo.timeline(order.id)))
    now = ctx.now()
    uow.session.execute(insert(refunds).values(
        id=refund_id, order_id=order.id, rma=rma, complaint_id=complaint_id, amount=amount,
        currency=order.currency, method=result.method, provider_ref=result.provider_ref,
        created_at=now))
    order.record(Step.SOLUTION, "refund_issued", now, actor=actor, refund_id=refund_id,
                 amount=str(amount), currency=order.currency, method=result.method,
                 provider_ref=result.provider_ref, rma=rma)
    queue_message(uow, ctx, order, "refund_issued", refund_id, amount=str(amount))
    return {"id": refund_id, "amount": str(amount), "currency": order.currency,
            "method": result.method, "provider_ref": result.provider_ref}


def issue_refund(cmd: IssueRefund, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    if cmd.rma is not None:
        row = _return(uow, cmd.rma)
        if row.order_id != cmd.order_id:
            raise errors.InvalidInput(f"return {row.rma} is not for order {cmd.order_id}")
        if row.status != "inspected":
            raise errors.Conflict(f"return {row.rma} is {row.status}; refund after inspection")
        if uow.session.scalar(select(refunds.c.id).where(refunds.c.rma == row.rma)):
            raise errors.Conflict(f"return {row.rma} was refunded already")
        full = sum(Decimal(line["unit_price"]) * line["qty"] for line in row.lines)
        result = _refund(uow, ctx, cmd.order_id, cmd.amount or full, row.rma,
                         row.complaint_id, cmd.actor, limit=full)
    else:
        if cmd.amount is None:
            raise errors.InvalidInput("a refund without a return needs an amount")
        _order(uow, cmd.order_id)
        result = _refund(uow, ctx, cmd.order_id, cmd.amount, None, cmd.complaint_id,
                         cmd.actor)
    uow.commit()
    return result


# --- replacements -------------------------------------------------------------------------
def _replace(uow: UnitOfWork, ctx: HubContext, order_id: str, wanted: list[LineQty],
             complaint_id: str | None, actor: str) -> str:
    original = _order(uow, order_id)
    lines = _checked_lines(original, wanted)
    count = sum(1 for e in uow.repo.timeline(original.id) if e.name == "replacement_created")
    new_id, _ = stage_order(commands.CreateOrder(
        channel=original.channel, channel_ref=f"{original.channel_ref}-R{count + 1}",
        lines=[commands.NewLine(line["sku"], line["qty"], Decimal("0")) for line in lines],
        ship_to=original.ship_to, payment_status="paid", currency=original.currency,
        total=Decimal("0"), customer_email=original.customer_email,
        service_level=original.service_level), uow, ctx)
    now = ctx.now()
    replacement = _order(uow, new_id)
    replacement.record(Step.REPLACEMENT, "replacement_of", now, actor=actor,
                       original_order_id=original.id, complaint_id=complaint_id)
    original.record(Step.REPLACEMENT, "replacement_created", now, actor=actor,
                    outcome="replaced", replacement_order_id=new_id,
                    complaint_id=complaint_id, skus=[line["sku"] for line in lines])
    return new_id


def create_replacement(cmd: CreateReplacement, uow: UnitOfWork, ctx: HubContext) -> str:
    new_id = _replace(uow, ctx, cmd.order_id, cmd.lines, cmd.complaint_id, cmd.actor)
    uow.commit()
    return new_id


def linked_orders(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    """The replacement orders of an order, and the order a replacement replaces."""
    events = list(uow.repo.timeline(order_id))
    return {"replacements": [e.details["replacement_order_id"] for e in events
                             if e.name == "replacement_created"],
            "replaces": next((e.details["original_order_id"] for e in events
                              if e.name == "replacement_of"), None)}

