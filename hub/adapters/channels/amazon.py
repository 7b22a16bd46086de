"""Amazon SP-API Orders v0: an order from getOrders/getOrder, its items from getOrderItems and
its address from getOrderAddress; confirmShipment with tracking; stock through a
JSON_LISTINGS_FEED (fulfillment_availability.quantity)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from hub.adapters.channels.base import (
    FAILED,
    PAID,
    PENDING,
    ChannelAdapter,
    ChannelHttpPort,
    ChannelLine,
    ChannelOrder,
    ChannelPayloadError,
    ChannelRequest,
    Money,
    Tracking,
    address,
    currency,
    decimal,
    need,
    parse_time,
    quantity,
    text,
)
from hub.adapters.channels.http import ChannelApiError

FEED_CONTENT_TYPE = "application/json; charset=UTF-8"
# Amazon's "Pending" means the buyer's payment is not yet authorised: hold the order until a
# later poll brings it back as Unshipped.
ORDER_STATUS = {"Pending": PENDING, "PendingAvailability": PENDING, "Unshipped": PAID,
                "PartiallyShipped": PAID, "Shipped": PAID, "InvoiceUnconfirmed": PAID,
                "Canceled": FAILED, "Unfulfillable": FAILED}
EXPRESS = {"Expedited", "NextDay", "SameDay", "SecondDay", "Priority"}
ADDS = ("ItemPrice", "ShippingPrice", "ItemTax", "ShippingTax")
SUBTRACTS = ("PromotionDiscount", "ShippingDiscount")


def money(value: Any, where: str) -> Money:
    return Money(decimal(need(value, "Amount"), f"{where}.Amount"),
                 currency(need(value, "CurrencyCode"), f"{where}.CurrencyCode"))


class AmazonAdapter(ChannelAdapter):
    """``parse_order`` takes ``{"order": Order, "items": [OrderItem], "address": Address}``:
    the three SP-API answers an order is made of (address optional if the order has it)."""

    name = "amazon"

    def __init__(self, marketplace_id: str = "ATVPDKIKX0DER", seller_id: str = "",
                 ship_from_supply_source_id: str | None = None) -> None:
        self.marketplace_id = marketplace_id
        self.seller_id = seller_id
        self.ship_from_supply_source_id = ship_from_supply_source_id

    def parse_order(self, payload: dict[str, Any]) -> ChannelOrder:
        order = need(payload, "order")
        items = payload.get("items") or []
        if not items:
            raise ChannelPayloadError("the order has no items (getOrderItems)")
        lines = []
        total: Money | None = None
        for i, item in enumerate(items):
            where = f"OrderItems[{i}]"
            qty = quantity(need(item, "QuantityOrdered"), f"{where}.QuantityOrdered")
            price = money(need(item, "ItemPrice"), f"{where}.ItemPrice")  # price x quantity
            lines.append(ChannelLine(
                line_ref=str(need(item, "OrderItemId")), qty=qty,
                unit_price=price.amount / qty, line_total=price.amount,
                sku=text(item.get("SellerSKU")), listing_id=text(item.get("ASIN")),
                title=text(item.get("Title"))))
            for key in ADDS + SUBTRACTS:
                if item.get(key):
                    part = money(item[key], f"{where}.{key}")
                    if key in SUBTRACTS:
                        part = Money(-part.amount, part.currency)
                    total = part if total is None else total + part
        assert total is not None
        if order.get("OrderTotal"):
            total = money(order["OrderTotal"], "OrderTotal")
        status = str(need(order, "OrderStatus"))
        if status not in ORDER_STATUS:
            raise ChannelPayloadError(f"OrderStatus {status!r} is not known")
        ship = (payload.get("address") or {}).get("ShippingAddress") or order.get(
            "ShippingAddress")
        if not ship:
            raise ChannelPayloadError("missing field ShippingAddress (getOrderAddress)")
        buyer = order.get("BuyerInfo") or {}
        level = order.get("ShipmentServiceLevelCategory")
        return ChannelOrder(
            channel=self.name, channel_ref=str(need(order, "AmazonOrderId")), lines=lines,
            ship_to=address(name=ship.get("Name"), company=ship.get("CompanyName"),
                            line1=ship.get("AddressLine1"),
                            line2=" ".join(filter(None, [ship.get("AddressLine2"),
                                                         ship.get("AddressLine3")])) or None,
                            city=ship.get("City"), region=ship.get("StateOrRegion"),
                            postcode=ship.get("PostalCode"),
                            country_code=ship.get("CountryCode"), phone=ship.get("Phone"),
                            where="ShippingAddress"),
            currency=total.currency, total=total.amount, payment_status=ORDER_STATUS[status],
            customer_email=text(buyer.get("BuyerEmail")),
            updated_at=parse_time(order.get("LastUpdateDate")),
            service_level="express" if level in EXPRESS else "standard",
            extra={"order_status": status,
                   "marketplace_id": order.get("MarketplaceId") or self.marketplace_id})

    def tracking_request(self, order: ChannelOrder, tracking: Tracking) -> ChannelRequest:
        lines = tracking.lines or [(line.line_ref, line.qty) for line in order.lines]
        package: dict[str, Any] = {
            "packageReferenceId": "1", "carrierCode": tracking.carrier,
            "carrierName": tracking.carrier, "shippingMethod": tracking.service or "Standard",
            "trackingNumber": tracking.tracking_number,
            "shipDate": (tracking.shipped_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                         if tracking.shipped_at else None),
            "orderItems": [{"orderItemId": ref, "quantity": qty} for ref, qty in lines]}
        if self.ship_from_supply_source_id:
            package["shipFromSupplySourceId"] = self.ship_from_supply_source_id
        body = {"marketplaceId": order.extra.get("marketplace_id", self.marketplace_id),
                "packageDetail": {k: v for k, v in package.items() if v is not None}}
        return ChannelRequest("POST", f"/orders/v0/orders/{order.channel_ref}/"
                              "shipmentConfirmation", body)

    def send_stock(self, http: ChannelHttpPort, levels: dict[str, int]) -> None:
        """Feeds API: create a feed document, upload the JSON_LISTINGS_FEED to the URL
        Amazon returns (pre-signed: no credentials of ours go there), then create the feed."""
        document = self.stock_request(levels).body
        created = http.request("POST", "/feeds/2021-06-30/documents",
                               json={"contentType": FEED_CONTENT_TYPE})
        upload = httpx.put(created["url"], content=json.dumps(document).encode(),
                           headers={"Content-Type": FEED_CONTENT_TYPE}, timeout=http.timeout_s)
        if upload.status_code >= 300:
            raise ChannelApiError(f"feed upload: {upload.status_code} {upload.text[:200]}")
        http.request("POST", "/feeds/2021-06-30/feeds", json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [self.marketplace_id],
            "inputFeedDocumentId": created["feedDocumentId"]})

    def stock_request(self, levels: dict[str, int]) -> ChannelRequest:
        """A JSON_LISTINGS_FEED document with one PATCH per seller SKU (the body to upload;
        ``send_stock`` does the Feeds API calls around it)."""
        messages = [{"messageId": i, "sku": sku, "operationType": "PATCH",
                     "productType": "PRODUCT",
                     "patches": [{"op": "replace",
                                  "path": "/attributes/fulfillment_availability",
                                  "value": [{"fulfillment_channel_code": "DEFAULT",
                                             "quantity": qty}]}]}
                    for i, (sku, qty) in enumerate(sorted(levels.items()), start=1)]
        return ChannelRequest("POST", "/feeds/2021-06-30/documents", {
            "header": {"sellerId": self.seller_id, "version": "2.0", "issueLocale": "en_US"},
            "messages": messages})
