"""POST /orders/batch: many orders in one request, each validated and stored on its own, so
a bad one is reported in its place and never costs the good ones."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from hub.domain import commands
from hub.entrypoints.api.deps import ChannelOrOps, HubDep, channel_of_key
from hub.entrypoints.api.schemas import OrderIn
from hub.errors import HubError

router = APIRouter(prefix="/orders", tags=["orders"])
MAX_BATCH = 1000


class OrderBatchIn(BaseModel):
    orders: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH,
        description="orders as for POST /orders; each is checked and stored on its own")


class OrderResult(BaseModel):
    index: int = Field(description="position in the request")
    status: Literal["created", "existing", "invalid", "refused"]
    order_id: str | None = None
    detail: str | None = Field(default=None, description="why it was not stored")
    errors: list[dict[str, str]] | None = None


class OrderBatchOut(BaseModel):
    created: int
    existing: int
    failed: int
    results: list[OrderResult]


def _invalid(index: int, exc: ValidationError) -> OrderResult:
    errors = [{"where": ".".join(str(p) for p in err["loc"]) or "order",
               "problem": err["msg"]} for err in exc.errors()]
    first = errors[0]
    return OrderResult(index=index, status="invalid",
                       detail=f"{first['where']}: {first['problem']}", errors=errors)


def _command(body: OrderIn) -> commands.CreateOrder:
    return commands.CreateOrder(
        channel=body.channel, channel_ref=body.channel_ref,
        lines=[commands.NewLine(line.sku, line.qty, line.unit_price) for line in body.lines],
        ship_to=body.ship_to.model_dump(exclude_none=True), currency=body.currency,
        total=body.total, payment_status=body.payment_status,
        customer_email=body.customer_email, promised_by=body.promised_by,
        service_level=body.service_level)


@router.post("/batch", response_model=OrderBatchOut)
def create_orders(body: OrderBatchIn, request: Request, hub: HubDep,
                  _: ChannelOrOps) -> OrderBatchOut:
    """Store up to 1000 orders in one transaction (each in its own savepoint); the answer
    lists what became of each, in request order. A key bound to a channel has the other
    channels' orders refused one by one."""
    bound = channel_of_key(request)
    results: list[OrderResult | None] = []
    valid: list[tuple[int, commands.CreateOrder]] = []
    for index, raw in enumerate(body.orders):
        try:
            order = OrderIn.model_validate(raw)
        except ValidationError as exc:
            results.append(_invalid(index, exc))
            continue
        if bound is not None and order.channel != bound:
            results.append(OrderResult(
                index=index, status="refused",
                detail=f"this key is bound to channel {bound!r}, not {order.channel!r}"))
            continue
        valid.append((index, _command(order)))
        results.append(None)
    stored = hub.handle(commands.CreateOrders([cmd for _, cmd in valid])) if valid else []
    for (index, _cmd), outcome in zip(valid, stored, strict=True):
        if isinstance(outcome, HubError):
            results[index] = OrderResult(index=index, status="refused", detail=outcome.detail)
        else:
            order_id, created = outcome
            results[index] = OrderResult(index=index, status="created" if created else "existing",
                                         order_id=order_id)
    done = [r for r in results if r is not None]
    count = {s: sum(r.status == s for r in done) for s in ("created", "existing")}
    return OrderBatchOut(created=count["created"], existing=count["existing"],
                         failed=len(done) - count["created"] - count["existing"], results=done)
