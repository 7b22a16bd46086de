"""EasyPost (aggregator): create a shipment, buy the chosen rate, fetch the label file."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from hub.adapters.couriers.base import (
    Booking,
    BookingRequest,
    CourierRejected,
    CourierUnavailable,
    Rate,
)
from hub.adapters.couriers.http import HttpCourier, courier_answer

GRAMS_PER_OZ = 28.349523125


def ep_address(place: dict[str, Any]) -> dict[str, Any]:
    address = {"name": place.get("name") or "",
            "street1": place.get("line1") or "",
            "city": place.get("city") or "", "zip": place.get("postcode") or "",
            "country": place.get("country") or "GB", "phone": place.get("phone") or "",
            "email": place.get("email") or ""}
    for ours, theirs in (("company", "company"), ("line2", "street2")):
        if place.get(ours):
            address[theirs] = place[ours]
    return address


def create_shipment_request(request: BookingRequest) -> dict[str, Any]:
    parcel: dict[str, Any] = {"weight": round(request.weight_g / GRAMS_PER_OZ, 1)}
    if request.dimensions_mm:
        length, width, height = (round(d / 25.4, 1) for d in request.dimensions_mm)
        parcel |= {"length": length, "width": width, "height": height}
    return {"shipment": {"from_address": ep_address(request.ship_from),
                         "to_address": ep_address(request.ship_to), "parcel": parcel,
                         "options": {"label_format": "ZPL"}, "reference": request.parcel_id}}


@courier_answer("easypost")
def parse_rates(document: dict[str, Any]) -> list[Rate]:
    return [Rate(courier=f"easypost:{r['carrier']}", service=r["service"],
                 amount=float(r["rate"]), currency=r["currency"],
                 days=r.get("delivery_days"), ref=r["id"]) for r in document.get("rates", [])]


@courier_answer("easypost")
def choose_rate(rates: list[Rate], service_code: str) -> Rate:
    """The rate for the requested service (carrier:service or service), else the cheapest."""
    if not rates:
        raise CourierRejected("easypost", "no rates offered for this shipment")
    if service_code:
        for rate in rates:
            if service_code in (rate.service, f"{rate.courier.split(':')[1]}:{rate.service}"):
                return rate
        raise CourierRejected("easypost", f"service {service_code!r} not offered")
    return min(rates, key=lambda r: r.amount)


@courier_answer("easypost")
def parse_bought(document: dict[str, Any]) -> tuple[str, str, str]:
    """(tracking code, label URL, label format) of a bought shipment."""
    label = document["postage_label"]
    url = label.get("label_zpl_url") or label.get("label_pdf_url") or label["label_url"]
    kind = "ZPL" if url == label.get("label_zpl_url") else (
        "PDF" if url == label.get("label_pdf_url") else
        str(label.get("label_file_type", "image/png")).split("/")[-1].upper())
    return str(document["tracking_code"]), str(url), kind


class EasyPost(HttpCourier):
    name = "easypost"

    def __init__(self, base_url: str, *, api_key: str = "", files_base_url: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(base_url, token=api_key, **kwargs)
        self.files_base_url = files_base_url  # a mirror of EasyPost's label file host

    def rate(self, request: BookingRequest) -> list[Rate]:
        return parse_rates(self.call_json("POST", "/v2/shipments",
                                          json=create_shipment_request(request)))

    def book(self, request: BookingRequest) -> Booking:
        created = self.call_json("POST", "/v2/shipments", json=create_shipment_request(request))
        rate = choose_rate(parse_rates(created), request.service_code)
        bought = self.call_json("POST", f"/v2/shipments/{created['id']}/buy",
                                json={"rate": {"id": rate.ref}})
        number, url, kind = parse_bought(bought)
        return Booking(courier=self.name, service=f"{rate.courier}:{rate.service}",
                       tracking_number=number, why=request.why, label=self._fetch(url),
                       label_format=kind, courier_ref=str(created["id"]), cost=rate.amount)

    def cancel(self, booking: Booking) -> None:
        self.call("POST", f"/v2/shipments/{booking.courier_ref}/refund")

    def _fetch(self, url: str) -> bytes:
        if self.files_base_url:
            parts = urlsplit(url)
            url = self.files_base_url.rstrip("/") + parts.path
        try:
            response = httpx.get(url, timeout=self.http.client.timeout)
        except httpx.HTTPError as exc:
            raise CourierUnavailable(self.name, f"label file {url}: {exc}") from exc
        if response.status_code != 200:
            raise CourierUnavailable(self.name, f"label file {url}: {response.status_code}")
        return response.content
