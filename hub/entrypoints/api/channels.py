"""Sales channel endpoints: signed webhooks (Shopify, WooCommerce, Stripe), raw channel
orders, CSV import, the quarantine and listing mappings.

Webhook signatures are checked on the raw body before anything parses it; a failure is a
401 problem document and has no effect. A delivery handled before (same delivery id, or the
same body when the channel sends no id) answers ``replayed`` and has no second effect.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels import signatures
from hub.adapters.channels.base import load_json
from hub.adapters.channels.csv_import import TEMPLATE
from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain.commands import Command
from hub.entrypoints.api.deps import ChannelOrOps, HubDep, Ops, UowDep, check_channel
from hub.entrypoints.api.schemas import Code
from hub.errors import InvalidInput
from hub.service_layer.channels.polling import handle_retrying

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/channels", tags=["channels"])

SHOPIFY_ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled"}
WOO_ORDER_TOPICS = {"order.created", "order.updated"}
WOO_PING = re.compile(rb"webhook_id=\d{1,20}")
# ISO 4217 currencies Stripe counts in whole units (no minor unit)
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX",
                "VND", "VUV", "XAF", "XOF", "XPF"}


class IngestOut(BaseModel):
    status: str = Field(description="created, duplicate, replayed, updated, flagged, "
                                    "quarantined or ignored")
    channel_ref: str = ""
    order_id: str | None = None
    quarantine_id: int | None = None
    reason: str | None = None


class ListingIn(BaseModel):
    channel: Code
    listing_key: str = Field(min_length=1, max_length=100,
                             description="the channel's listing id or its SKU")
    sku: Code


class StockListingIn(BaseModel):
    channel: Code
    listing_key: str = Field(min_length=1, max_length=100, description=(
        "what the channel's stock API names: Shopify inventory_item_id, WooCommerce product "
        "id, Amazon seller SKU, eBay inventory SKU"))
    sku: Code
    buffer: int = Field(default=0, ge=0, le=1_000_000,
                        description="units kept back from this channel")


class QuarantineOut(BaseModel):
    id: int
    channel: str
    channel_ref: str
    reason: str
    status: str
    attempts: int
    order_id: str | None


class RowErrorOut(BaseModel):
    row: int
    order_ref: str | None
    reason: str


class CsvOut(BaseModel):
    orders: list[IngestOut]
    errors: list[RowErrorOut]


def _secrets(*values: Any) -> list[str]:
    return [value.get_secret_value() for value in values if value is not None]


def _handle(hub: Hub, command: Command) -> Any:
    return handle_retrying(hub.handle, command)


async def _ingest(hub: Hub, channel: str, body: bytes, delivery_id: str | None) -> IngestOut:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text") from None
    delivery = delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
    result = await run_in_threadpool(_handle, hub, cc.IngestChannelOrder(channel, text,
                                                                         delivery))
    return IngestOut(**asdict(result))


@router.post("/shopify/webhooks", response_model=IngestOut)
async def shopify_webhook(
        request: Request, hub: HubDep,
        x_shopify_hmac_sha256: Annotated[str | None, Header()] = None,
        x_shopify_topic: Annotated[str | None, Header()] = None,
        x_shopify_webhook_id: Annotated[str | None, Header()] = None) -> IngestOut:
    body = await request.body()
    settings = hub.settings
    signatures.verify_base64(body, x_shopify_hmac_sha256, _secrets(
        settings.shopify_webhook_secret, settings.shopify_webhook_secret_previous),
        "X-Shopify-Hmac-Sha256")
    if x_shopify_topic not in SHOPIFY_ORDER_TOPICS:
        return IngestOut(status="ignored", reason=f"topic {x_shopify_topic!r} is not handled")
    return await _ingest(hub, "shopify", body, x_shopify_webhook_id)


@router.post("/woocommerce/webhooks", response_model=IngestOut)
async def woocommerce_webhook(
        request: Request, hub: HubDep,
        x_wc_webhook_signature: Annotated[str | None, Header()] = None,
        x_wc_webhook_topic: Annotated[str | None, Header()] = None,
        x_wc_webhook_delivery_id: Annotated[str | None, Header()] = None) -> IngestOut:
    body = await request.body()
    if x_wc_webhook_signature is None and WOO_PING.fullmatch(body):
        # WooCommerce pings the URL unsigned when a webhook is saved and refuses to save it
        # unless the answer is 2xx; the ping carries nothing else
        return IngestOut(status="ignored", reason="webhook ping")
    signatures.verify_base64(body, x_wc_webhook_signature,
                             _secrets(hub.settings.woocommerce_webhook_secret),
                             "X-WC-Webhook-Signature")
    if x_wc_webhook_topic not in WOO_ORDER_TOPICS:
        return IngestOut(status="ignored", reason=f"topic {x_wc_webhook_topic!r} is not handled")
    return await _ingest(hub, "woocommerce", body, x_wc_webhook_delivery_id)


@router.post("/stripe/webhooks")
async def stripe_webhook(request: Request, hub: HubDep,
                         stripe_signature: Annotated[str | None, Header()] = None
                         ) -> dict[str, str]:
    body = await request.body()
    settings = hub.settings
    signatures.verify_stripe(body, stripe_signature, _secrets(
        settings.stripe_webhook_secret, settings.stripe_webhook_secret_previous),
        now=hub.ctx.now().timestamp(), tolerance_s=settings.stripe_tolerance_s)
    event = load_json(body)
    command = _payment_command(event)
    if command is None:
        return {"status": "ignored", "event": str(event.get("type"))}
    result = await run_in_threadpool(hub.handle, command)
    return {"status": result, "order_id": command.order_id}


def _payment_command(event: Any) -> cc.RecordPayment | None:
    if not isinstance(event, dict):
        raise InvalidInput("a Stripe event is a JSON object")
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    order_id = (obj.get("metadata") or {}).get("order_id")
    outcome = {"payment_intent.succeeded": "succeeded",
               "payment_intent.payment_failed": "failed",
               "charge.refunded": "refunded"}.get(str(kind))
    if outcome is None or not order_id or not event.get("id"):
        return None
    currency = str(obj.get("currency") or "").upper() or None
    minor = obj.get("amount_received") if outcome == "succeeded" else (
        obj.get("amount_refunded") if outcome == "refunded" else obj.get("amount"))
    amount = None
    if minor is not None and currency:
        amount = Decimal(int(minor)) if currency in ZERO_DECIMAL else Decimal(int(minor)) / 100
    error = obj.get("last_payment_error") or {}
    return cc.RecordPayment(
        order_id=str(order_id), outcome=outcome, provider="stripe",
        provider_ref=str(obj.get("payment_intent") or obj.get("id") or ""),
        event_id=str(event["id"]), amount=amount,
        currency=currency, reason=error.get("message") or error.get("code"))


@router.post("/{channel}/orders", response_model=IngestOut)
async def post_channel_order(channel: str, request: Request, hub: HubDep, _: ChannelOrOps,
                             idempotency_key: Annotated[str | None, Header()] = None
                             ) -> IngestOut:
    """A channel's own order JSON (Shopify/WooCommerce REST order, an eBay order, an Amazon
    ``{"order", "items", "address"}`` bundle), e.g. from an integration that pulls it."""
    check_channel(request, channel)
    return await _ingest(hub, channel, await request.body(), idempotency_key)


@router.post("/csv", response_model=CsvOut)
async def import_csv(request: Request, hub: HubDep, _: ChannelOrOps) -> CsvOut:
    check_channel(request, "csv")
    try:
        content = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8") from None
    results, errors = await run_in_threadpool(_handle, hub, cc.ImportCsvOrders(content))
    return CsvOut(orders=[IngestOut(**asdict(r)) for r in results],
                  errors=[RowErrorOut(**asdict(e)) for e in errors])


@router.get("/csv/template", response_class=Response)
def csv_template() -> Response:
    return Response(TEMPLATE, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="orders.csv"'})


@router.get("/quarantine", response_model=list[QuarantineOut])
def quarantine(uow: UowDep, _: Ops, status: str | None = "open") -> list[QuarantineOut]:
    return [QuarantineOut(id=row.id, channel=row.channel, channel_ref=row.channel_ref,
                          reason=row.reason, status=row.status, attempts=row.attempts,
                          order_id=row.order_id)
            for row in ChannelRepository(uow.session).quarantined(status or None)]


@router.post("/quarantine/{entry_id}/reprocess", response_model=IngestOut)
def reprocess(entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)], hub: HubDep,
              _: Ops) -> IngestOut:
    return IngestOut(**asdict(_handle(hub, cc.ReprocessQuarantined(entry_id))))


@router.post("/listings", status_code=204)
def add_listing(body: ListingIn, hub: HubDep, _: Ops) -> Response:
    hub.handle(cc.MapListing(body.channel, body.listing_key, body.sku))
    return Response(status_code=204)


@router.get("/listings", response_model=list[ListingIn])
def listings(uow: UowDep, _: Ops, channel: str | None = None) -> list[ListingIn]:
    return [ListingIn(channel=row.channel, listing_key=row.listing_key, sku=row.sku)
            for row in ChannelRepository(uow.session).listings(channel)]


@router.post("/stock-listings", status_code=204)
def track_stock(body: StockListingIn, hub: HubDep, _: Ops) -> Response:
    """Push available-to-sell of ``sku`` (less ``buffer``) to this channel listing."""
    hub.handle(cc.TrackChannelStock(body.channel, body.listing_key, body.sku, body.buffer))
    return Response(status_code=204)

