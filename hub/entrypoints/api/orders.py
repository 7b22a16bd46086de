"""Orders: create (idempotent per channel reference), list, get, release, timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from hub.domain import commands
from hub.domain.model import Order, OrderStatus
from hub.domain.timeline import STEP_TITLES, Step
from hub.entrypoints.api.deps import (
    ChannelOrOps,
    HubDep,
    Ops,
    UowDep,
    channel_of_key,
    check_channel,
    check_order_visible,
)
from hub.entrypoints.api.schemas import (
    LineOut,
    OrderIn,
    OrderOut,
    ReleaseOut,
    ShipmentOut,
    TimelineEntry,
)
from hub.errors import NotFound
from hub.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/orders", tags=["orders"])


def order_out(order: Order, uow: UnitOfWork) -> OrderOut:
    shipment = uow.repo.shipment_for_order(order.id)
    return OrderOut(
        id=order.id, channel=order.channel, channel_ref=order.channel_ref, status=order.status,
        payment_status=order.payment_status,
        lines=[LineOut(line_no=line.line_no, sku=line.sku, qty=line.qty,
                       unit_price=line.unit_price, qty_picked=line.qty_picked,
                       qty_short=line.qty_short) for line in order.lines],
        ship_to=order.ship_to, currency=order.currency, total=order.total,
        customer_email=order.customer_email, service_level=order.service_level,
        created_at=order.created_at, promised_by=order.promised_by,
        shipment=None if shipment is None else ShipmentOut(
            id=shipment.id, courier=shipment.courier, service=shipment.service,
            tracking_number=shipment.tracking_number, weight_g=shipment.weight_g,
            label_printed_at=shipment.label_printed_at))


def _get(uow: UnitOfWork, order_id: str, request: Request | None = None) -> Order:
    order = uow.repo.get_order(order_id)
    if order is None:
        raise NotFound(f"order {order_id!r} not found")
    if request is not None:
        check_order_visible(request, order.channel, order_id)
    return order


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": OrderOut,
                              "description": "the channel reference was stored before"}})
def create_order(body: OrderIn, hub: HubDep, request: Request, response: Response,
                 _: ChannelOrOps) -> OrderOut:
    check_channel(request, body.channel)
    order_id, created = hub.handle(commands.CreateOrder(
        channel=body.channel, channel_ref=body.channel_ref,
        lines=[commands.NewLine(line.sku, line.qty, line.unit_price) for line in body.lines],
        ship_to=body.ship_to.model_dump(exclude_none=True), currency=body.currency,
        total=body.total, payment_status=body.payment_status,
        customer_email=body.customer_email, promised_by=body.promised_by,
        service_level=body.service_level))
    if not created:
        response.status_code = status.HTTP_200_OK
    with hub.uow() as uow:
        return order_out(_get(uow, order_id), uow)


@router.get("", response_model=list[OrderOut])
def list_orders(uow: UowDep, request: Request, _: ChannelOrOps,
                status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[OrderOut]:
    orders = uow.repo.list_orders(status_.value if status_ else None, limit, offset,
                                  channel=channel_of_key(request))
    return [order_out(order, uow) for order in orders]


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: str, uow: UowDep, request: Request, _: ChannelOrOps) -> OrderOut:
    return order_out(_get(uow, order_id, request), uow)


@router.post("/{order_id}/release", response_model=ReleaseOut)
def release_order(order_id: str, hub: HubDep, _: Ops) -> ReleaseOut:
    tasks = hub.handle(commands.ReleaseOrder(order_id, actor="api"))
    return ReleaseOut(order_id=order_id, tasks=tasks)


@router.get("/{order_id}/timeline", response_model=list[TimelineEntry])
def timeline(order_id: str, uow: UowDep, request: Request,
             _: ChannelOrOps) -> list[TimelineEntry]:
    _get(uow, order_id, request)
    return [TimelineEntry(step=e.step, step_title=STEP_TITLES[Step(e.step)], name=e.name,
                          at=e.at, actor=e.actor, outcome=e.outcome, details=e.details)
            for e in uow.repo.timeline(order_id)]
