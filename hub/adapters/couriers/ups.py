"""UPS (REST Shipping API v2409; Tracking API v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.adapters.couriers.base import Booking, BookingRequest, TrackingUpdate
from hub.adapters.couriers.http import HttpCourier, b64, courier_answer
from hub.domain.tracking_status import map_status

VERSION = "v2409"


def ups_party(place: dict[str, Any]) -> dict[str, Any]:
    lines = [str(place[k]) for k in ("line1", "line2") if place.get(k)]
    return {"Name": str(place.get("company") or place.get("name") or "")[:35],
            "AttentionName": str(place.get("name") or "")[:35],
            "Phone": {"Number": str(place.get("phone") or "")},
            "Address": {"AddressLine": lines, "City": place.get("city") or "",
                        "PostalCode": place.get("postcode") or "",
                        "CountryCode": place.get("country") or "GB"}}


def shipment_request(request: BookingRequest, account: str) -> dict[str, Any]:
    package: dict[str, Any] = {
        "Packaging": {"Code": "02"},
        "PackageWeight": {"UnitOfMeasurement": {"Code": "KGS"},
                          "Weight": f"{max(request.weight_g, 1) / 1000:.2f}"}}
    if request.dimensions_mm:
        length, width, height = request.dimensions_mm
        package["Dimensions"] = {"UnitOfMeasurement": {"Code": "CM"},
                                 "Length": f"{length / 10:.1f}", "Width": f"{width / 10:.1f}",
                                 "Height": f"{height / 10:.1f}"}
    return {"ShipmentRequest": {
        "Request": {"RequestOption": "nonvalidate", "SubVersion": VERSION,
                    "TransactionReference": {"CustomerContext": request.parcel_id}},
        "LabelSpecification": {"LabelImageFormat": {"Code": "ZPL"},
                               "LabelStockSize": {"Height": "6", "Width": "4"}},
        "Shipment": {
            "Description": request.order_id,
            "ShipFrom": ups_party(request.ship_from), "ShipTo": ups_party(request.ship_to),
            "PaymentInformation": {"ShipmentCharge": [
                {"Type": "01", "BillShipper": {"AccountNumber": account}}]},
            "Service": {"Code": request.service_code or "11"},
            "ReferenceNumber": {"Value": request.parcel_id},
            "Package": [package],
        }}}


@courier_answer("ups")
def parse_shipment_response(document: dict[str, Any]) -> tuple[str, bytes, str, str]:
    """(tracking number, label bytes, label format, shipment id)."""
    results = document["ShipmentResponse"]["ShipmentResults"]
    packages = results["PackageResults"]
    package = packages[0] if isinstance(packages, list) else packages
    label = package["ShippingLabel"]
    return (str(package["TrackingNumber"]), b64(label["GraphicImage"]),
            str(label["ImageFormat"]["Code"]).upper(),
            str(results["ShipmentIdentificationNumber"]))


@courier_answer("ups")
def parse_tracking(document: dict[str, Any]) -> list[TrackingUpdate]:
    updates = []
    for shipment in document["trackResponse"]["shipment"]:
        for package in shipment.get("package", []):
            number = package.get("trackingNumber") or shipment.get("inquiryNumber", "")
            if number in ("", "string"):
                number = shipment.get("inquiryNumber", "")
            for activity in package.get("activity", []):
                status = activity.get("status", {})
                at = datetime.strptime(activity["date"] + activity["time"], "%Y%m%d%H%M%S")
                updates.append(TrackingUpdate(
                    tracking_number=number,
                    status=map_status("ups", status.get("type", ""),
                                      status.get("description", "")),
                    at=at, code=status.get("code", ""),
                    description=status.get("description", ""),
                    location=activity.get("location", {}).get("address", {}).get("city", "")))
    return updates


class Ups(HttpCourier):
    name = "ups"

    def __init__(self, base_url: str, *, account: str = "", **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.account = account

    def book(self, request: BookingRequest) -> Booking:
        document = self.call_json("POST", f"/api/shipments/{VERSION}/ship",
                                  json=shipment_request(request, self.account))
        number, label, label_format, shipment_id = parse_shipment_response(document)
        return Booking(courier=self.name, service=request.service_code or "11",
                       tracking_number=number, why=request.why, label=label,
                       label_format=label_format, courier_ref=shipment_id)

    def cancel(self, booking: Booking) -> None:
        self.call("DELETE", f"/api/shipments/{VERSION}/void/cancel/{booking.courier_ref}")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return parse_tracking(self.call_json("GET", f"/api/track/v1/details/{tracking_number}"))
