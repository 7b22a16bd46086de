"""WooCommerce: REST API v3 order JSON (also the body of order.created/updated webhooks);
completion with tracking and stock_quantity back through the same API."""

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

STATUS = {"processing": PAID, "completed": PAID, "pending": PENDING, "on-hold": PENDING,
          "failed": FAILED, "cancelled": FAILED, "refunded": REFUNDED}


class WooCommerceAdapter(ChannelAdapter):
    name = "woocommerce"

    def parse_order(self, payload: dict[str, Any]) -> ChannelOrder:
        money = currency(need(payload, "currency"), "currency")
        lines = []
        for i, item in enumerate(need(payload, "line_items")):
            where = f"line_items[{i}]"
            qty = quantity(need(item, "quantity"), f"{where}.quantity")
            # total is after discounts, for the whole line; the unit price follows from it
            line_total = decimal(need(item, "total"), f"{where}.total")
            variation = str(item.get("variation_id") or "0")
            listing = variation if variation != "0" else str(need(item, "product_id"))
            lines.append(ChannelLine(
                line_ref=str(need(item, "id")), qty=qty, unit_price=line_total / qty,
                line_total=line_total, sku=text(item.get("sku")), listing_id=listing,
                title=text(item.get("name"))))
        status = str(need(payload, "status"))
        if status not in STATUS:
            raise ChannelPayloadError(f"status {status!r} is not known")
        payment = STATUS[status]
        if payment == PENDING and payload.get("date_paid_gmt"):
            payment = PAID
        ship = payload.get("shipping") or {}
        if not ship.get("address_1"):  # Woo leaves shipping empty when it equals billing
            ship = need(payload, "billing")
        billing = payload.get("billing") or {}
        return ChannelOrder(
            channel=self.name, channel_ref=str(need(payload, "id")), lines=lines,
            ship_to=address(name=" ".join(filter(None, [ship.get("first_name"),
                                                         ship.get("last_name")])),
                            company=ship.get("company"), line1=ship.get("address_1"),
                            line2=ship.get("address_2"), city=ship.get("city"),
                            region=ship.get("state"), postcode=ship.get("postcode"),
                            country_code=ship.get("country"),
                            phone=ship.get("phone") or billing.get("phone"),
                            where="shipping"),
            currency=money, total=decimal(need(payload, "total"), "total"),
            payment_status=payment, customer_email=text(billing.get("email")),
            display_ref=text(payload.get("number")),
            updated_at=parse_time(payload.get("date_modified_gmt")),
            extra={"status": status})

    def tracking_request(self, order: ChannelOrder, tracking: Tracking) -> ChannelRequest:
        return ChannelRequest("PUT", f"/wp-json/wc/v3/orders/{order.channel_ref}", {
            "status": "completed",
            "meta_data": [{"key": "_tracking_provider", "value": tracking.carrier},
                          {"key": "_tracking_number", "value": tracking.tracking_number}]})

    def stock_request(self, levels: dict[str, int]) -> ChannelRequest:
        """``levels`` by product id: one batch update of stock_quantity."""
        return ChannelRequest("POST", "/wp-json/wc/v3/products/batch", {
            "update": [{"id": product, "manage_stock": True, "stock_quantity": qty}
                       for product, qty in sorted(levels.items())]})
