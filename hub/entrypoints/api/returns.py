"""Complaints, solutions, returns (RMA), refunds and replacement orders (steps 16-19), and
the causes they trace back to."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.adapters.orm_customer import complaints, refunds, returns
from hub.domain.complaints import ComplaintReason, InspectionAction, Solution, rank
from hub.entrypoints.api.deps import HubDep, Ops, UowDep, require
from hub.errors import NotFound
from hub.service_layer.handlers import returns as handlers

router = APIRouter(tags=["complaints and returns"])
DeviceOrOps = Annotated[list[str], Depends(require("device", "ops"))]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: int = Field(ge=1, description="the order line number")
    qty: int = Field(ge=1, le=100000)


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ComplaintReason
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=4000)
    photos: list[str] = Field(default_factory=list, max_length=20,
                              description="URLs of the customer's photos")


class SolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    solution: Solution
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2,
                                   description="a partial refund; none refunds the lines")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    complaint_id: str | None = Field(default=None, max_length=40)


class ReceiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field(default="ops", min_length=1, max_length=100,
                    description="the bench or person that received the parcel")


class InspectedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: int = Field(ge=1)
    qty: int = Field(ge=1, le=100000)
    action: InspectionAction
    location: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=200)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[InspectedLineIn] = Field(min_length=1, max_length=200)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rma: str | None = Field(default=None, max_length=40)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)


class ReplacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    complaint_id: str | None = Field(default=None, max_length=40)


def _lines(lines: list[LineIn]) -> list[handlers.LineQty]:
    return [handlers.LineQty(line.line, line.qty) for line in lines]


@router.post("/orders/{order_id}/complaints", status_code=status.HTTP_201_CREATED)
def record_complaint(order_id: str, body: ComplaintIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.RecordComplaint(
        order_id, body.reason.value, _lines(body.lines), body.note, body.photos))
    return result


@router.post("/complaints/{complaint_id}/solution")
def offer_solution(complaint_id: str, body: SolutionIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.OfferSolution(
        complaint_id, body.solution.value, body.amount))
    return result


@router.get("/orders/{order_id}/complaints")
def order_complaints(order_id: str, uow: UowDep, _: Ops) -> dict[str, Any]:
    if uow.repo.get_order(order_id) is None:
        raise NotFound(f"order {order_id!r} not found")
    rows = uow.session.execute(select(complaints).where(complaints.c.order_id == order_id)
                               .order_by(complaints.c.created_at))
    rmas = uow.session.execute(select(returns).where(returns.c.order_id == order_id)
                               .order_by(returns.c.created_at))
    paid = uow.session.execute(select(refunds).where(refunds.c.order_id == order_id)
                               .order_by(refunds.c.created_at))
    return {"complaints": [{"id": r.id, "reason": r.reason, "lines": r.lines, "note": r.note,
                            "photos": r.photos, "solution": r.solution, "cause": r.cause,
                            "created_at": r.created_at} for r in rows],
            "returns": [handlers.return_view(r) for r in rmas],
            "refunds": [{"id": r.id, "rma": r.rma, "amount": str(r.amount),
                         "currency": r.currency, "method": r.method,
                         "provider_ref": r.provider_ref} for r in paid],
            **handlers.linked_orders(uow, order_id)}


@router.post("/orders/{order_id}/returns", status_code=status.HTTP_201_CREATED)
def authorise_return(order_id: str, body: ReturnIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.AuthoriseReturn(
        order_id, _lines(body.lines), body.complaint_id))
    return result


@router.get("/returns/{rma}")
def get_return(rma: str, uow: UowDep, _: DeviceOrOps) -> dict[str, Any]:
    return handlers.return_view(handlers._return(uow, rma))


@router.post("/returns/{rma}/receive")
def receive_return(rma: str, body: ReceiveIn, hub: HubDep, _: DeviceOrOps) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.ReceiveReturn(rma, body.by))
    return result


@router.post("/returns/{rma}/inspection")
def inspect_return(rma: str, body: InspectionIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.InspectReturn(rma, [
        handlers.InspectedLine(line.line, line.qty, line.action.value, line.location,
                               line.reason) for line in body.lines]))
    return result


@router.post("/orders/{order_id}/refunds", status_code=status.HTTP_201_CREATED)
def issue_refund(order_id: str, body: RefundIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.IssueRefund(order_id, body.amount, body.rma))
    return result


@router.post("/orders/{order_id}/replacements", status_code=status.HTTP_201_CREATED)
def create_replacement(order_id: str, body: ReplacementIn, hub: HubDep,
                       _: Ops) -> dict[str, Any]:
    new_id = hub.handle(handlers.CreateReplacement(order_id, _lines(body.lines),
                                                   body.complaint_id))
    return {"order_id": new_id, "replaces": order_id}


@router.get("/analytics/complaint-causes")
def complaint_causes(uow: UowDep, _: Ops, by: Literal["failed_step", "picked_by", "packed_by",
                                                      "bins"] = "failed_step"
                     ) -> list[dict[str, Any]]:
    """Complaints and returns ranked by the step that failed, the picker, the packer or bin
    (a return made for a complaint counts once, with its complaint)."""
    causes = [row.cause for row in uow.session.execute(select(complaints.c.cause))]
    causes += [row.cause for row in uow.session.execute(
        select(returns.c.cause).where(returns.c.complaint_id.is_(None)))]
    return [{"key": r.key, "complaints": r.complaints} for r in rank(causes, by)]
