"""eBay Sell Fulfillment API: orders from getOrders; a shipping fulfillment with tracking;
stock through the Inventory API's bulkUpdatePriceQuantity."""

from __future__ import annotations

from typing import Any

from hub.adapters.channels.base import (
    FAILED,
    PAID,
    PENDING,
    REFUNDED,
    ChannelAdapter,
    ChannelLine,
    ChannelOrder,
    ChannelPayloadError,
    ChannelRequest,
    Tracking,
    address,
    currency,
    decimal,
    need,
    parse_time,
    quantity,
    text,
)

PAYMENT_STATUS = {"PAID": PAID, "PARTIALLY_REFUNDED": PAID, "PENDING": PENDING,
                  "FAILED": FAILED, "FULLY_REFUNDED": REFUNDED}
BULK_LIMIT = 25  # requests per bulkUpdatePriceQuantity call


class EbayAdapter(ChannelAdapter):
    name = "ebay"

    def parse_order(self, payload: dict[str, Any]) -> ChannelOrder:
        lines = []
        for i, item in enumerate(need(payload, "lineItems")):
            where = f"lineItems[{i}]"
            qty = quantity(need(item, "quantity"), f"{where}.quantity")
            cost = need(item, "lineItemCost")  # unit price x quantity, before discounts
            line_total = decimal(need(cost, "value"), f"{where}.lineItemCost.value")
            listing = text(item.get("legacyItemId"))
            if listing and item.get("legacyVariationId"):
                listing = f"{listing}:{item['legacyVariationId']}"
            lines.append(ChannelLine(
                line_ref=str(need(item, "lineItemId")), qty=qty,
                unit_price=line_total / qty, line_total=line_total,
                sku=text(item.get("sku")), listing_id=listing, title=text(item.get("title"))))
        status = str(need(payload, "orderPaymentStatus"))
        if status not in PAYMENT_STATUS:
            raise ChannelPayloadError(f"orderPaymentStatus {status!r} is not known")
        ship_to = need(payload, "fulfillmentStartInstructions", 0, "shippingStep", "shipTo")
        contact = need(ship_to, "contactAddress")
        total = need(payload, "pricingSummary", "total")
        buyer = payload.get("buyer") or {}
        cancel = (payload.get("cancelStatus") or {}).get("cancelState", "NONE_REQUESTED")
        return ChannelOrder(
            channel=self.name, channel_ref=str(need(payload, "orderId")), lines=lines,
            ship_to=address(name=ship_to.get("fullName"),
                            company=ship_to.get("companyName"),
                            line1=contact.get("addressLine1"),
                            line2=contact.get("addressLine2"), city=contact.get("city"),
                            region=contact.get("stateOrProvince"),
                            postcode=contact.get("postalCode"),
                            country_code=contact.get("countryCode"),
                            phone=(ship_to.get("primaryPhone") or {}).get("phoneNumber"),
                            where="shipTo"),
            currency=currency(need(total, "currency"), "pricingSummary.total.currency"),
            total=decimal(need(total, "value"), "pricingSummary.total.value"),
            payment_status=PAYMENT_STATUS[status],
            customer_email=text(ship_to.get("email")) or text(
                (buyer.get("buyerRegistrationAddress") or {}).get("email")),
            updated_at=parse_time(payload.get("lastModifiedDate")),
            extra={"cancel_state": cancel,
                   "fulfillment_status": payload.get("orderFulfillmentStatus")})

    def tracking_request(self, order: ChannelOrder, tracking: Tracking) -> ChannelRequest:
        lines = tracking.lines or [(line.line_ref, line.qty) for line in order.lines]
        body: dict[str, Any] = {
            "lineItems": [{"lineItemId": ref, "quantity": qty} for ref, qty in lines],
            "shippingCarrierCode": tracking.carrier, "trackingNumber": tracking.tracking_number}
        if tracking.shipped_at:
            body["shippedDate"] = tracking.shipped_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return ChannelRequest(
            "POST", f"/sell/fulfillment/v1/order/{order.channel_ref}/shipping_fulfillment", body)

    def stock_request(self, levels: dict[str, int]) -> ChannelRequest:
        """``levels`` by eBay inventory SKU; at most 25 per call (split by the caller)."""
        if len(levels) > BULK_LIMIT:
            raise ValueError(f"eBay takes at most {BULK_LIMIT} SKUs per bulk update")
        return ChannelRequest("POST", "/sell/inventory/v1/bulk_update_price_quantity", {
            "requests": [{"sku": sku, "shipToLocationAvailability": {"quantity": qty}}
                         for sku, qty in sorted(levels.items())]})
