"""Tracking and stock pushes build the bodies the channels' own examples show."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter, WooCommerceAdapter
from hub.adapters.channels.base import Tracking
from tests.unit.hub.channels.samples import sample
from tests.unit.hub.channels.test_sample_orders import amazon_payload


def test_amazon_confirm_shipment_matches_the_sandbox_request() -> None:
    expected = sample("amazon_spapi_orders_v0_confirmShipment_sandbox_request")
    adapter = AmazonAdapter(ship_from_supply_source_id="057d3fcc-b750-419f-bbcd-4d340c60c430")
    order = adapter.parse_order(amazon_payload())
    request = adapter.tracking_request(order, Tracking(
        carrier="FedEx", tracking_number="112345678", service="FedEx Ground",
        shipped_at=datetime(2022, 2, 11, 1, 0, tzinfo=UTC), lines=[("79039765272157", 1)]))
    assert request.method == "POST"
    assert request.path == "/orders/v0/orders/902-3159896-1390916/shipmentConfirmation"
    for item in expected["packageDetail"]["orderItems"]:
        item.pop("transparencyCodes")  # serial-level codes we do not track
    assert request.body == expected


def test_amazon_stock_feed_matches_the_listings_feed_patch() -> None:
    example = sample("amazon_listings_feed_v2_example")["messages"][3]  # the PATCH replace
    request = AmazonAdapter(seller_id="AXXXXXXXXXXXX").stock_request({"My-SKU-D": 10})
    (message,) = request.body["messages"]
    assert message["patches"] == example["patches"]
    assert (message["sku"], message["operationType"]) == ("My-SKU-D", "PATCH")
    assert request.body["header"]["sellerId"] == "AXXXXXXXXXXXX"
    assert request.body["header"]["version"] == "2.0"


def test_shopify_fulfillment_and_inventory_level() -> None:
    fixture = sample("shopify_rest_fulfillment_fixture")["fulfillment"]
    adapter = ShopifyAdapter(location_id="905684977")
    order = adapter.parse_order(sample("shopify_rest_order_fixture"))
    request = adapter.tracking_request(order, Tracking(
        carrier="null-company", tracking_number="1Z2345",
        url="http://www.google.com/search?q=1Z2345", lines=[("466157049", 1)]))
    body = request.body["fulfillment"]
    assert request.path.endswith(f"/orders/{fixture['order_id']}/fulfillments.json")
    for key in ("tracking_company", "tracking_number", "tracking_numbers", "tracking_urls"):
        assert body[key] == fixture[key]
    assert body["line_items"] == [{"id": str(item["id"]), "quantity": item["quantity"]}
                                  for item in fixture["line_items"]]
    level = sample("shopify_rest_inventory_level_fixture")["inventory_level"]
    stock = adapter.stock_request({str(level["inventory_item_id"]): level["available"]})
    assert stock.body == {"location_id": "905684977", "inventory_item_id": "808950810",
                          "available": 6}


def test_ebay_fulfillment_and_bulk_quantity() -> None:
    adapter = EbayAdapter()
    page = sample("ebay_sell_fulfillment_getOrders_response_anonymized")
    order = adapter.parse_order(page["orders"][0])
    request = adapter.tracking_request(order, Tracking(carrier="Hermes", tracking_number="H1"))
    assert request.path == "/sell/fulfillment/v1/order/1********5/shipping_fulfillment"
    assert request.body == {"lineItems": [{"lineItemId": "1********1", "quantity": 1}],
                            "shippingCarrierCode": "Hermes", "trackingNumber": "H1"}
    stock = adapter.stock_request({"MUG": 4})
    assert stock.body == {"requests": [{"sku": "MUG",
                                        "shipToLocationAvailability": {"quantity": 4}}]}


def test_woocommerce_completion_and_stock() -> None:
    adapter = WooCommerceAdapter()
    order = adapter.parse_order(sample("woocommerce_v3_order_retrieve_response"))
    done = adapter.tracking_request(order, Tracking(carrier="DPD", tracking_number="D1"))
    assert (done.method, done.path) == ("PUT", "/wp-json/wc/v3/orders/727")
    assert done.body["status"] == "completed"
    stock = adapter.stock_request({"93": 7})
    assert stock.body == {"update": [{"id": "93", "manage_stock": True, "stock_quantity": 7}]}
