"""POST /orders/batch: many orders in one request, each validated and stored on its own, so
a bad one is reported in its place and never costs the good ones."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError

from hub.domain import commands
from hub.entrypoints.api.deps import ChannelOrOps, HubDep
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


def _store(hub: HubDep, index: int, raw: dict[str, Any]) -> OrderResult:
    try:
        body = OrderIn.model_validate(raw)
    except ValidationError as exc:
        return _invalid(index, exc)
    try:
        order_id, created = hub.handle(commands.CreateOrder(
            channel=body.channel, channel_ref=body.channel_ref,
            lines=[commands.NewLine(line.sku, line.qty, line.unit_price) for line in body.lines],
            ship_to=body.ship_to.model_dump(exclude_none=True), currency=body.currency,
            total=body.total, payment_status=body.payment_status,
            customer_email=body.customer_email, promised_by=body.promised_by,
            service_level=body.service_level))
    except HubError as exc:
        return OrderResult(index=index, status="refused", detail=exc.detail)
    return OrderResult(index=index, status="created" if created else "existing",
                       order_id=order_id)


@router.post("/batch", response_model=OrderBatchOut)
def create_orders(body: OrderBatchIn, hub: HubDep, _: ChannelOrOps) -> OrderBatchOut:
    """Store up to 1000 orders; the answer lists what became of each, in request order."""
    results = [_store(hub, n, raw) for n, raw in enumerate(body.orders)]
    count = {s: sum(r.status == s for r in results) for s in ("created", "existing")}
    return OrderBatchOut(created=count["created"], existing=count["existing"],
                         failed=len(results) - count["created"] - count["existing"],
                         results=results)
