"""Royal Mail Click & Drop (API v1, swagger published by Royal Mail) for bookings, labels and
manifests; Royal Mail Tracking API v2 (``mailpieces``) for tracking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from hub.adapters.couriers.base import (
    Booking,
    BookingRequest,
    CourierRejected,
    Manifest,
    TrackingUpdate,
)
from hub.adapters.couriers.http import CourierHttp, HttpCourier, b64, courier_answer
from hub.domain.tracking_status import map_status


def address(ship_to: dict[str, Any]) -> dict[str, Any]:
    """Our ship-to as a Click & Drop AddressRequest (lengths cut to the spec's limits)."""
    result = {"addressLine1": str(ship_to.get("line1") or "")[:100],
              "city": str(ship_to.get("city") or "")[:100],
              "countryCode": str(ship_to.get("country") or "GB")[:3]}
    optional = (("name", "fullName", 210), ("company", "companyName", 100),
                ("line2", "addressLine2", 100), ("postcode", "postcode", 20))
    for ours, theirs, limit in optional:
        if ship_to.get(ours):
            result[theirs] = str(ship_to[ours])[:limit]
    return result


def create_orders_request(request: BookingRequest, now: datetime) -> dict[str, Any]:
    """A CreateOrdersRequest for one parcel; orderReference is the parcel id, which is how a
    timed-out booking is found again."""
    value = round(request.value, 2)
    package: dict[str, Any] = {
        "weightInGrams": max(1, min(30000, round(request.weight_g))),
        "packageFormatIdentifier": "parcel"}
    if request.dimensions_mm:
        length, width, height = request.dimensions_mm
        package["dimensions"] = {"heightInMms": height, "widthInMms": width,
                                 "depthInMms": length}
    order: dict[str, Any] = {
        "orderReference": request.parcel_id[:40],
        "recipient": {"address": address(request.ship_to)},
        "orderDate": now.isoformat().replace("+00:00", "Z"),
        "subtotal": value, "shippingCostCharged": 0.0, "total": value,
        "currencyCode": request.currency[:3],
        "packages": [package],
        "label": {"includeLabelInResponse": True},
    }
    if request.service_code:
        order["postageDetails"] = {"serviceCode": request.service_code[:10]}
    if request.ship_to.get("email"):
        order["recipient"]["emailAddress"] = str(request.ship_to["email"])[:254]
    return {"items": [order]}


@courier_answer("royalmail")
def parse_created_order(document: dict[str, Any]) -> dict[str, Any]:
    """The one created order of a CreateOrdersResponse, or CourierRejected with the reasons."""
    created = document.get("createdOrders") or []
    if created:
        return dict(created[0])
    reasons = [e.get("errorMessage", "") for failed in document.get("failedOrders") or []
               for e in failed.get("errors") or []]
    raise CourierRejected("royalmail", "order not created: " + ("; ".join(reasons) or "?"))


class RoyalMailClickAndDrop(HttpCourier):
    name = "royalmail"

    def __init__(self, base_url: str, *, token: str = "", timeout_s: float = 10.0,
                 tracking_base_url: str | None = None, carrier_name: str | None = None) -> None:
        super().__init__(base_url, token=token, timeout_s=timeout_s)
        self.tracking = CourierHttp(self.name, tracking_base_url or base_url, token=token,
                                    timeout_s=timeout_s)
        self.carrier_name = carrier_name

    def book(self, request: BookingRequest) -> Booking:
        body = create_orders_request(request, datetime.now(UTC))
        order = parse_created_order(self.call_json("POST", "/orders", json=body))
        return self._booking(request, order)

    def _booking(self, request: BookingRequest, order: dict[str, Any]) -> Booking:
        label = b64(order["label"]) if order.get("label") else self._label(order)
        return Booking(courier=self.name, service=request.service_code or "default",
                       tracking_number=str(order.get("trackingNumber") or ""),
                       why=request.why, label=label, label_format="PDF",
                       courier_ref=str(order["orderIdentifier"]))

    def _label(self, order: dict[str, Any]) -> bytes:
        response = self.call("GET", f"/orders/{order['orderIdentifier']}/label",
                             params={"documentType": "postageLabel",
                                     "includeReturnsLabel": "false"})
        return response.content

    def find_booking(self, request: BookingRequest) -> Booking | None:
        reference = quote(request.parcel_id[:40], safe="")
        try:
            orders = self.call_json("GET", f'/orders/"{reference}"')
        except CourierRejected:
            return None  # 404: no such order reference, nothing was booked
        match = [o for o in orders if o.get("orderReference") == request.parcel_id[:40]]
        return self._booking(request, match[0]) if match else None

    def cancel(self, booking: Booking) -> None:
        self.call("DELETE", f"/orders/{booking.courier_ref}")

    def manifest(self, bookings: list[Booking]) -> Manifest:
        body = {"carrierName": self.carrier_name} if self.carrier_name else {}
        document = self.call_json("POST", "/manifests", json=body)
        pdf = document.get("documentPdf")
        return Manifest(courier=self.name, reference=str(document["manifestNumber"]),
                        tracking_numbers=tuple(b.tracking_number for b in bookings),
                        document=b64(pdf) if pdf else b"")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        document = self.tracking.call_json("GET", f"/mailpieces/v2/{tracking_number}/events")
        return parse_tracking(document)


@courier_answer("royalmail")
def parse_tracking(document: dict[str, Any]) -> list[TrackingUpdate]:
    piece = document["mailPieces"]
    summary = piece.get("summary", {})
    number = summary.get("oneDBarcode") or piece["mailPieceId"]
    category = summary.get("statusCategory", "")
    updates = []
    for i, event in enumerate(piece.get("events", [])):
        # events are newest first; the summary's category describes the newest
        status = map_status("royalmail", category if i == 0 else "",
                            event.get("eventName", ""))
        updates.append(TrackingUpdate(
            tracking_number=number, status=status,
            at=datetime.fromisoformat(event["eventDateTime"]),
            code=event.get("eventCode", ""), description=event.get("eventName", ""),
            location=event.get("locationName", "")))
    return updates
