"""DPD UK (api.dpd.co.uk): insert shipment, then fetch the label for the shipment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.adapters.couriers.base import Booking, BookingRequest, CourierRejected
from hub.adapters.couriers.http import HttpCourier, courier_answer


def dpd_address(place: dict[str, Any]) -> dict[str, Any]:
    return {"organisation": place.get("company") or "", "countryCode": place.get("country") or "GB",
            "postcode": place.get("postcode") or "", "street": place.get("line1") or "",
            "locality": place.get("line2") or "", "town": place.get("city") or "",
            "county": place.get("county") or ""}


def insert_shipment_request(request: BookingRequest, now: datetime) -> dict[str, Any]:
    """The DPD UK insert-shipment body (the published template's layout, one parcel)."""
    contact = {"contactName": request.ship_to.get("name") or "",
               "telephone": request.ship_to.get("phone") or ""}
    sender = request.ship_from
    return {
        "jobId": None, "collectionOnDelivery": False, "invoice": None,
        "collectionDate": now.strftime("%Y-%m-%dT%H:%M:%S"), "consolidate": False,
        "consignment": [{
            "consignmentNumber": None, "consignmentRef": request.parcel_id,
            "parcel": [],
            "collectionDetails": {
                "contactDetails": {"contactName": sender.get("name") or "",
                                   "telephone": sender.get("phone") or ""},
                "address": dpd_address(sender)},
            "deliveryDetails": {
                "contactDetails": contact, "address": dpd_address(request.ship_to),
                "notificationDetails": {"email": request.ship_to.get("email") or "",
                                        "mobile": request.ship_to.get("phone") or ""}},
            "networkCode": request.service_code or "1^12",
            "numberOfParcels": 1,
            "totalWeight": round(request.weight_g / 1000, 2),
            "shippingRef1": request.order_id, "shippingRef2": request.parcel_id,
            "shippingRef3": "",
            "customsValue": round(request.value, 2) or None,
            "deliveryInstructions": "", "parcelDescription": "",
            "liabilityValue": None, "liability": False,
        }],
    }


@courier_answer("dpd")
def parse_insert_shipment(document: dict[str, Any]) -> tuple[str, str]:
    """(shipment id, first parcel number) of an insert-shipment response."""
    if document.get("error"):
        raise CourierRejected("dpd", f"shipment refused: {document['error']}")
    data = document["data"]
    consignment = data["consignmentDetail"][0]
    numbers = consignment.get("parcelNumbers") or [consignment["consignmentNumber"]]
    return str(data["shipmentId"]), str(numbers[0])


class DpdUk(HttpCourier):
    name = "dpd"
    label_type = "text/vnd.eltron-epl"

    def book(self, request: BookingRequest) -> Booking:
        body = insert_shipment_request(request, datetime.now(UTC))
        shipment_id, parcel_number = parse_insert_shipment(
            self.call_json("POST", "/shipping/shipment", json=body))
        label = self.call("GET", f"/shipping/shipment/{shipment_id}/label/",
                          headers={"Accept": self.label_type}).content
        return Booking(courier=self.name, service=request.service_code or "1^12",
                       tracking_number=parcel_number, why=request.why, label=label,
                       label_format="EPL", courier_ref=shipment_id)
