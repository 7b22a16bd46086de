"""Courier adapters against a local HTTP server replaying the published responses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
import yaml

from hub.adapters.couriers.base import (
    BookingRequest,
    CourierRejected,
    CourierTimeout,
    CourierUnavailable,
)
from hub.adapters.couriers.dhl import DhlExpress
from hub.adapters.couriers.dhl import shipment_request as dhl_request
from hub.adapters.couriers.dpd import DpdUk, insert_shipment_request
from hub.adapters.couriers.easypost import EasyPost, create_shipment_request
from hub.adapters.couriers.royalmail import RoyalMailClickAndDrop, create_orders_request
from hub.adapters.couriers.ups import Ups
from hub.adapters.couriers.ups import shipment_request as ups_request
from hub.domain.tracking_status import TrackingStatus
from tests.integration.couriers.conftest import SAMPLES, keys_within, sample
from tests.integration.couriers.replay import ReplayServer, Stall

PDF = base64.b64decode(sample("courier_dhl_express_mydhl_shipment_response.json")
                       ["documents"][0]["content"])
SHIP_FROM = {"name": "Dock 1", "line1": "1 Warehouse Way", "city": "Birmingham",
             "postcode": "B66 1BY", "country": "GB", "phone": "0121 500 2500"}


def request(**overrides: Any) -> BookingRequest:
    values: dict[str, Any] = dict(
        order_id="ord_1001", parcel_id="ord_1001-1",
        ship_to={"name": "Ada Lovelace", "line1": "12 Analytical St", "city": "London",
                 "postcode": "N1 9GU", "country": "GB", "email": "ada@example.com"},
        weight_g=1234.0, service_level="standard", serial=7, service_code="",
        dimensions_mm=(300, 200, 100), value=42.5, ship_from=SHIP_FROM)
    values.update(overrides)
    return BookingRequest(**values)


# --- Royal Mail Click & Drop ----------------------------------------------------------------

def click_and_drop_schema(name: str) -> jsonschema.Draft4Validator:
    spec = yaml.safe_load((SAMPLES / "courier_royalmail_clickanddrop_api_v1_swagger.yaml")
                          .read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator({"$ref": f"#/definitions/{name}",
                                       "definitions": spec["definitions"]})


def created_orders(seen: Any) -> tuple[int, Any]:
    order = seen.body["items"][0]
    return 200, {"successCount": 1, "errorsCount": 0, "createdOrders": [{
        "orderIdentifier": 1001, "orderReference": order["orderReference"],
        "createdOn": "2026-11-26T10:00:00Z", "trackingNumber": "RB123456785GB",
        "label": base64.b64encode(PDF).decode()}], "failedOrders": []}


@pytest.mark.parametrize("overrides", [
    {}, {"dimensions_mm": None, "service_code": "TPN24"},
    {"weight_g": 45000.0, "value": 0.0},
    {"ship_to": {"name": "X" * 300, "line1": "Y" * 300, "city": "Paris", "country": "FR",
                 "postcode": "75001"}}])
def test_click_and_drop_requests_validate_against_the_published_spec(overrides: Any) -> None:
    body = create_orders_request(request(**overrides), datetime.now(UTC))
    errors = list(click_and_drop_schema("CreateOrdersRequest").iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_click_and_drop_catches_a_request_breaking_the_spec() -> None:
    body = create_orders_request(request(), datetime.now(UTC))
    body["items"][0]["packages"][0]["weightInGrams"] = 40000
    assert not click_and_drop_schema("CreateOrdersRequest").is_valid(body)


def test_click_and_drop_books_and_returns_tracking_and_label(server: ReplayServer) -> None:
    server.on("POST", "/orders", created_orders)
    courier = RoyalMailClickAndDrop(server.url, token="secret")
    booking = courier.book(request(service_code="TPN24", why="cheapest"))
    assert (booking.tracking_number, booking.courier_ref) == ("RB123456785GB", "1001")
    assert booking.label.startswith(b"%PDF") and booking.label_format == "PDF"
    assert booking.why == "cheapest"
    sent = server.requests("POST", "/orders")[0]
    assert sent.headers["Authorization"] == "Bearer secret"
    assert click_and_drop_schema("CreateOrdersRequest").is_valid(sent.body)
    assert click_and_drop_schema("CreateOrdersResponse").is_valid(created_orders(sent)[1])


def test_click_and_drop_failed_order_is_a_clear_rejection(server: ReplayServer) -> None:
    server.on("POST", "/orders", (200, {"successCount": 0, "errorsCount": 1, "createdOrders": [],
                                        "failedOrders": [{"errors": [{"errorCode": 35,
                                        "errorMessage": "Postcode is invalid"}]}]}))
    with pytest.raises(CourierRejected, match="Postcode is invalid"):
        RoyalMailClickAndDrop(server.url).book(request())


@pytest.mark.parametrize(("reply", "error"), [
    ((500, {"code": "x", "message": "boom"}), CourierUnavailable),
    ((400, {"message": "bad"}), CourierRejected)])
def test_http_errors_map_to_port_errors(server: ReplayServer, reply: Any, error: type) -> None:
    server.on("POST", "/orders", reply)
    with pytest.raises(error):
        RoyalMailClickAndDrop(server.url).book(request())


def test_a_stalled_courier_times_out(server: ReplayServer) -> None:
    def stall(_seen: Any) -> Any:
        raise Stall(1.0)
    server.on("POST", "/orders", stall)
    with pytest.raises(CourierTimeout):
        RoyalMailClickAndDrop(server.url, timeout_s=0.2).book(request())


def test_connection_refused_is_unavailable() -> None:
    with pytest.raises(CourierUnavailable):
        RoyalMailClickAndDrop("http://127.0.0.1:9", timeout_s=1).book(request())


def test_click_and_drop_finds_a_booking_by_reference(server: ReplayServer) -> None:
    server.on("GET", r'/orders/"ord_1001-1"', (200, [{
        "orderIdentifier": 1001, "orderReference": "ord_1001-1",
        "createdOn": "2026-11-26T10:00:00Z", "trackingNumber": "RB123456785GB"}]))
    server.on("GET", "/orders/1001/label", (200, PDF))
    found = RoyalMailClickAndDrop(server.url).find_booking(request())
    assert found is not None and found.tracking_number == "RB123456785GB"
    assert found.label == PDF
    assert RoyalMailClickAndDrop(server.url).find_booking(request(parcel_id="other")) is None


def test_click_and_drop_manifest_and_cancel(server: ReplayServer) -> None:
    server.on("POST", "/manifests", (201, {"manifestNumber": 77,
                                           "documentPdf": base64.b64encode(PDF).decode()}))
    server.on("DELETE", "/orders/1001", (200, {"deletedOrders": []}))
    courier = RoyalMailClickAndDrop(server.url)
    server.on("POST", "/orders", created_orders)
    booking = courier.book(request())
    manifest = courier.manifest([booking])
    assert (manifest.reference, manifest.tracking_numbers) == ("77", ("RB123456785GB",))
    assert manifest.document == PDF
    courier.cancel(booking)
    assert len(server.requests("DELETE", "/orders/1001")) == 1


def test_royal_mail_tracking_sample_maps_to_in_transit(server: ReplayServer) -> None:
    server.on("GET", "/mailpieces/v2/FQ087430672GB/events",
              (200, sample("courier_royalmail_tracking_api_v2_mailpieces_events_response.json")))
    updates = RoyalMailClickAndDrop(server.url, tracking_base_url=server.url).track(
        "FQ087430672GB")
    assert [(u.tracking_number, u.status, u.code) for u in updates] == [
        ("FQ087430672GB", TrackingStatus.IN_TRANSIT, "EVNMI")]


# --- UPS ------------------------------------------------------------------------------------

def test_ups_published_response_parses_to_tracking_and_png(server: ReplayServer) -> None:
    server.on("POST", "/api/shipments/v2409/ship",
              (200, sample("courier_ups_shipment_response.json")))
    booking = Ups(server.url, account="A1B2C3").book(request())
    assert booking.tracking_number == "1ZXXXXXXXXXXXXXXXX"
    assert booking.label.startswith(b"\x89PNG") and booking.label_format == "PNG"
    sent = server.requests("POST", "/api/shipments/v2409/ship")[0].body
    assert keys_within(sent, sample("courier_ups_shipment_request.json")) == []


def test_ups_request_layout_matches_published_request() -> None:
    ours = ups_request(request(ship_to={**request().ship_to, "line2": "Flat 2"}), "ACC")
    assert keys_within(ours, sample("courier_ups_shipment_request.json")) == []


def test_ups_tracking_sample(server: ReplayServer) -> None:
    server.on("GET", "/api/track/v1/details/1Z023E2X0214323462",
              (200, sample("courier_ups_tracking_response.json")))
    updates = Ups(server.url).track("1Z023E2X0214323462")
    assert updates and updates[0].tracking_number == "1Z023E2X0214323462"
    assert updates[0].status == TrackingStatus.EXCEPTION  # type X: exception
    assert updates[0].at == datetime(2021, 2, 10, 7, 13, 56)


# --- DHL Express ----------------------------------------------------------------------------

def test_dhl_published_response_parses_to_tracking_and_pdf(server: ReplayServer) -> None:
    server.on("POST", "/shipments",
              (201, sample("courier_dhl_express_mydhl_shipment_response.json")))
    booking = DhlExpress(server.url, account="123456789").book(request())
    assert booking.tracking_number == "9356579890"
    assert booking.label == PDF and booking.label_format == "PDF"
    sent = server.requests("POST", "/shipments")[0].body
    assert keys_within(sent, sample("courier_dhl_express_mydhl_shipment_request.json")) == []


def test_dhl_tracking_sample_is_delivered(server: ReplayServer) -> None:
    server.on("GET", "/shipments/9356579890/tracking",
              (200, sample("courier_dhl_express_mydhl_tracking_response.json")))
    updates = DhlExpress(server.url).track("9356579890")
    assert [u.status for u in updates] == [TrackingStatus.DELIVERED, TrackingStatus.IN_TRANSIT]


def test_dhl_request_is_international_for_abroad() -> None:
    body = dhl_request(request(ship_to={**request().ship_to, "country": "FR"}), "1",
                       datetime.now(UTC))
    assert body["productCode"] == "P" and body["content"]["isCustomsDeclarable"] is True


# --- DPD UK ---------------------------------------------------------------------------------

def test_dpd_books_and_fetches_label(server: ReplayServer) -> None:
    server.on("POST", "/shipping/shipment", (200, {"error": None, "data": {
        "shipmentId": 5005, "consolidated": False, "consignmentDetail": [
            {"consignmentNumber": "6504012345", "parcelNumbers": ["15976504012345"]}]}}))
    server.on("GET", "/shipping/shipment/5005/label/", (200, b"N\nA50,0,0,1,1,1,N,\"DPD\"\nP1\n"))
    booking = DpdUk(server.url).book(request())
    assert booking.tracking_number == "15976504012345" and booking.courier_ref == "5005"
    assert booking.label.startswith(b"N\n") and booking.label_format == "EPL"
    label_call = server.requests("GET", "/shipping/shipment/5005/label/")[0]
    assert label_call.headers["Accept"] == "text/vnd.eltron-epl"
    sent = server.requests("POST", "/shipping/shipment")[0].body
    assert keys_within(sent, sample("courier_dpd_uk_insert_shipment_request_template.json")) == []
    assert insert_shipment_request(request(), datetime.now(UTC))["consignment"][0][
        "totalWeight"] == 1.23


def test_dpd_error_is_a_rejection(server: ReplayServer) -> None:
    server.on("POST", "/shipping/shipment", (200, {"error": [{"errorMessage": "bad postcode"}],
                                                   "data": None}))
    with pytest.raises(CourierRejected, match="bad postcode"):
        DpdUk(server.url).book(request())


# --- EasyPost -------------------------------------------------------------------------------

def test_easypost_creates_buys_and_fetches_label(server: ReplayServer) -> None:
    created = sample("courier_easypost_shipment_create_response.json")
    bought = sample("courier_easypost_shipment_buy_response.json")
    png = base64.b64decode(sample("courier_ups_shipment_response.json")["ShipmentResponse"]
                           ["ShipmentResults"]["PackageResults"]["ShippingLabel"]["GraphicImage"])
    server.on("POST", "/v2/shipments", (201, created))
    server.on("POST", f"/v2/shipments/{created['id']}/buy", (200, bought))
    label_path = bought["postage_label"]["label_url"].split(".com", 1)[1]
    server.on("GET", label_path, (200, png))
    courier = EasyPost(server.url, api_key="EZTK", files_base_url=server.url)
    booking = courier.book(request())
    assert booking.tracking_number == "9400100208303109505657"
    assert booking.label == png and booking.label_format == "PNG"
    assert booking.service == "easypost:USPS:GroundAdvantage" and booking.cost == 6.07
    buy = server.requests("POST", f"/v2/shipments/{created['id']}/buy")[0].body
    assert buy == sample("courier_easypost_shipment_buy_request.json")
    ours = create_shipment_request(request())
    assert keys_within(ours, sample("courier_easypost_shipment_create_request.json")) == []


def test_easypost_named_service_and_missing_service(server: ReplayServer) -> None:
    created = sample("courier_easypost_shipment_create_response.json")
    server.on("POST", "/v2/shipments", (201, created))
    rates = EasyPost(server.url).rate(request())
    assert sorted(r.amount for r in rates) == [6.07, 7.42, 34.15]
    with pytest.raises(CourierRejected, match="not offered"):
        EasyPost(server.url).book(request(service_code="USPS:Teleport"))
