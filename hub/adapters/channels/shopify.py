"""Shopify: the REST Order resource (also the body of the orders/create and orders/updated
webhooks); tracking as a fulfillment, stock through inventory_levels/set."""

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

# financial_status -> our payment status. An authorization secures the funds; Shopify
# captures it on fulfilment, so an authorized order may be released.
FINANCIAL_STATUS = {"paid": PAID, "authorized": PAID, "partially_refunded": PAID,
                    "pending": PENDING, "partially_paid": PENDING, "unpaid": PENDING,
                    "voided": FAILED, "expired": FAILED, "refunded": REFUNDED}


class ShopifyAdapter(ChannelAdapter):
    name = "shopify"

    def __init__(self, location_id: str = "0") -> None:
        self.location_id = location_id  # the Shopify location that stock levels are set at

    def parse_order(self, payload: dict[str, Any]) -> ChannelOrder:
        order = payload.get("order", payload)  # REST wraps it; webhooks send it bare
        money = currency(need(order, "currency"), "currency")
        lines = []
        for i, item in enumerate(need(order, "line_items")):
            where = f"line_items[{i}]"
            qty = quantity(need(item, "quantity"), f"{where}.quantity")
            price = decimal(need(item, "price"), f"{where}.price")
            if not item.get("requires_shipping", True):
                continue  # gift cards, services: nothing to pick
            lines.append(ChannelLine(
                line_ref=str(need(item, "id")), qty=qty, unit_price=price,
                line_total=price * qty, sku=text(item.get("sku")),
                listing_id=text(item.get("variant_id")), title=text(item.get("name")),
                gtin=text(item.get("barcode"))))
        if not lines:
            raise ChannelPayloadError("the order has no line that needs shipping")
        status = str(order.get("financial_status") or "pending")
        if status not in FINANCIAL_STATUS:
            raise ChannelPayloadError(f"financial_status {status!r} is not known")
        ship = order.get("shipping_address")
        if not ship:
            raise ChannelPayloadError("missing field shipping_address")
        return ChannelOrder(
            channel=self.name, channel_ref=str(need(order, "id")), lines=lines,
            ship_to=address(name=ship.get("name") or " ".join(
                filter(None, [ship.get("first_name"), ship.get("last_name")])),
                company=ship.get("company"), line1=ship.get("address1"),
                line2=ship.get("address2"), city=ship.get("city"),
                region=ship.get("province_code") or ship.get("province"),
                postcode=ship.get("zip"), country_code=ship.get("country_code"),
                country_name=ship.get("country"), phone=ship.get("phone"),
                where="shipping_address"),
            currency=money, total=decimal(need(order, "total_price"), "total_price"),
            payment_status=FINANCIAL_STATUS[status],
            customer_email=text(order.get("email")), display_ref=text(order.get("name")),
            updated_at=parse_time(order.get("updated_at")),
            extra={"financial_status": status,
                   "cancelled": order.get("cancelled_at") is not None})

    def tracking_request(self, order: ChannelOrder, tracking: Tracking) -> ChannelRequest:
        lines = tracking.lines or [(line.line_ref, line.qty) for line in order.lines]
        body = {"fulfillment": {
            "location_id": self.location_id,
            "tracking_company": tracking.carrier,
            "tracking_number": tracking.tracking_number,
            "tracking_numbers": [tracking.tracking_number],
            "tracking_urls": [tracking.url] if tracking.url else [],
            "notify_customer": True,
            "line_items": [{"id": ref, "quantity": qty} for ref, qty in lines]}}
        return ChannelRequest("POST", f"/admin/api/2024-01/orders/{order.channel_ref}/"
                              "fulfillments.json", body)

    def stock_request(self, levels: dict[str, int]) -> ChannelRequest:
        """``levels`` by inventory_item_id; Shopify sets one item per call, so one key."""
        if len(levels) != 1:
            raise ValueError("Shopify sets one inventory level per request")
        ((item, available),) = levels.items()
        return ChannelRequest("POST", "/admin/api/2024-01/inventory_levels/set.json", {
            "location_id": self.location_id, "inventory_item_id": item,
            "available": available})
