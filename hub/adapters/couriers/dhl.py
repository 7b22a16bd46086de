"""DHL Express (MyDHL API): create shipment with the label in the answer; tracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.adapters.couriers.base import Booking, BookingRequest, TrackingUpdate
from hub.adapters.couriers.http import HttpCourier, b64, courier_answer
from hub.domain.tracking_status import map_status


def dhl_party(place: dict[str, Any]) -> dict[str, Any]:
    postal = {"postalCode": place.get("postcode") or "", "cityName": place.get("city") or "",
              "countryCode": place.get("country") or "GB",
              "addressLine1": place.get("line1") or ""}
    if place.get("line2"):
        postal["addressLine2"] = place["line2"]
    return {"postalAddress": postal,
            "contactInformation": {"phone": place.get("phone") or "",
                                   "companyName": place.get("company") or place.get("name")
                                   or "", "fullName": place.get("name") or ""}}


def shipment_request(request: BookingRequest, account: str, now: datetime) -> dict[str, Any]:
    package: dict[str, Any] = {"weight": round(max(request.weight_g, 1) / 1000, 3)}
    if request.dimensions_mm:
        length, width, height = request.dimensions_mm
        package["dimensions"] = {"length": max(1, round(length / 10)),
                                 "width": max(1, round(width / 10)),
                                 "height": max(1, round(height / 10))}
    domestic = (request.ship_from.get("country") or "GB") == (request.ship_to.get("country")
                                                               or "GB")
    product = request.service_code or ("N" if domestic else "P")
    planned = now + timedelta(hours=1)
    return {
        "plannedShippingDateAndTime": planned.strftime("%Y-%m-%dT%H:%M:%S GMT+00:00"),
        "pickup": {"isRequested": False},
        "productCode": product,
        "accounts": [{"typeCode": "shipper", "number": account}],
        "outputImageProperties": {"encodingFormat": "zpl", "imageOptions": [
            {"typeCode": "label", "isRequested": True}]},
        "customerDetails": {"shipperDetails": dhl_party(request.ship_from),
                            "receiverDetails": dhl_party(request.ship_to)},
        "content": {"packages": [package], "isCustomsDeclarable": not domestic,
                    "description": request.order_id, "unitOfMeasurement": "metric"},
    }


@courier_answer("dhl")
def parse_shipment_response(document: dict[str, Any]) -> tuple[str, bytes, str]:
    """(tracking number, label bytes, label format) of a create-shipment answer."""
    label = next(d for d in document["documents"] if d.get("content"))
    return (str(document["shipmentTrackingNumber"]), b64(label["content"]),
            str(label.get("imageFormat", "PDF")).upper())


@courier_answer("dhl")
def parse_tracking(document: dict[str, Any]) -> list[TrackingUpdate]:
    updates = []
    for shipment in document["shipments"]:
        for event in shipment.get("events", []):
            area = (event.get("serviceArea") or [{}])[0]
            updates.append(TrackingUpdate(
                tracking_number=str(shipment["shipmentTrackingNumber"]),
                status=map_status("dhl", event.get("typeCode", ""),
                                  event.get("description", "")),
                at=datetime.fromisoformat(f"{event['date']}T{event['time']}").replace(
                    tzinfo=UTC),
                code=event.get("typeCode", ""), description=event.get("description", ""),
                location=area.get("description", "")))
    return updates


class DhlExpress(HttpCourier):
    name = "dhl"

    def __init__(self, base_url: str, *, account: str = "", **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.account = account

    def book(self, request: BookingRequest) -> Booking:
        body = shipment_request(request, self.account, datetime.now(UTC))
        number, label, label_format = parse_shipment_response(
            self.call_json("POST", "/shipments", json=body,
                           headers={"Message-Reference": request.parcel_id.ljust(28, "0")}))
        return Booking(courier=self.name, service=body["productCode"], tracking_number=number,
                       why=request.why, label=label, label_format=label_format,
                       courier_ref=number)

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return parse_tracking(self.call_json("GET", f"/shipments/{tracking_number}/tracking"))
