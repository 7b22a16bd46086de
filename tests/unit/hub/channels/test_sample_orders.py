"""Every published channel order sample parses into the canonical order: lines, quantities,
address and totals asserted value by value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.adapters.channels import AmazonAdapter, EbayAdapter, ShopifyAdapter, WooCommerceAdapter
from hub.adapters.channels.base import ChannelPayloadError, load_json
from tests.unit.hub.channels.samples import raw, sample


def line_keys(order):  # type: ignore[no-untyped-def]
    return [(line.line_ref, line.sku, line.listing_id, line.qty, line.unit_price,
             line.line_total) for line in order.lines]


def test_shopify_rest_order() -> None:
    order = ShopifyAdapter().parse_order(sample("shopify_rest_order_fixture"))
    assert order.channel_ref == "450789469" and order.display_ref == "#1001"
    assert line_keys(order) == [
        ("466157049", "IPOD2008GREEN", "39072856", 1, Decimal("199.00"), Decimal("199.00")),
        ("518995019", "IPOD2008RED", "49148385", 1, Decimal("199.00"), Decimal("199.00")),
        ("703073504", "IPOD2008BLACK", "457924702", 1, Decimal("199.00"), Decimal("199.00"))]
    assert order.ship_to == {"name": "Bob Norman", "line1": "Chestnut Street 92",
                             "city": "Louisville", "region": "KY", "postcode": "40202",
                             "country": "US", "phone": "555-625-1199"}
    assert (order.currency, order.total) == ("USD", Decimal("409.94"))
    assert order.payment_status == "paid"  # financial_status "authorized"
    assert order.customer_email == "bob.norman@hostmail.com"


def test_shopify_ids_beyond_2_53_stay_exact() -> None:
    body = raw("shopify_rest_order_fixture").replace(b'"id": 450789469,',
                                                     b'"id": 9007199254740993,', 1)
    order = ShopifyAdapter().parse_order(load_json(body))
    assert order.channel_ref == "9007199254740993"  # a float would give ...992


def test_woocommerce_v3_order() -> None:
    order = WooCommerceAdapter().parse_order(sample("woocommerce_v3_order_retrieve_response"))
    assert order.channel_ref == "727"
    assert line_keys(order) == [
        ("315", None, "93", 2, Decimal("3.00"), Decimal("6.00")),
        ("316", "Bar3", "23", 1, Decimal("12.00"), Decimal("12.00"))]
    assert order.ship_to == {"name": "John Doe", "line1": "969 Market",
                             "city": "San Francisco", "region": "CA", "postcode": "94103",
                             "country": "US", "phone": "(555) 555-5555"}
    assert (order.currency, order.total) == ("USD", Decimal("29.35"))
    assert order.payment_status == "paid"
    assert order.customer_email == "john.doe@example.com"


def amazon_payload() -> dict[str, object]:
    return {"order": sample("amazon_spapi_orders_v0_getOrders_doc_example")["payload"][
                "Orders"][0],
            "items": sample("amazon_spapi_orders_v0_getOrderItems_doc_example")["payload"][
                "OrderItems"],
            "address": sample("amazon_spapi_orders_v0_getOrderAddress_doc_example")["payload"]}


def test_amazon_orders_items_and_address() -> None:
    order = AmazonAdapter().parse_order(amazon_payload())
    assert order.channel_ref == "902-3159896-1390916"
    assert line_keys(order) == [
        ("68828574383266", "CBA_OTF_1", "BT0093TELA", 1, Decimal("25.99"), Decimal("25.99")),
        ("79039765272157", "CBA_OTF_5", "BCTU1104UEFB", 2, Decimal("8.975"),
         Decimal("17.95"))]
    # getOrderAddress wins over the (older) address in the order
    assert order.ship_to == {"name": "Michigan address", "line1": "1 cross st",
                             "city": "Canton", "region": "MI", "postcode": "48817",
                             "country": "US"}
    # no OrderTotal in the sample: items 25.99 + 17.95, shipping 1.26
    assert (order.currency, order.total) == ("JPY", Decimal("45.20"))
    assert order.payment_status == "pending"  # OrderStatus "Pending": not yet authorised
    assert order.customer_email == "user@example.com"


def test_amazon_get_order_alone_uses_its_own_address() -> None:
    payload = amazon_payload()
    payload["order"] = sample("amazon_spapi_orders_v0_getOrder_doc_example")["payload"]
    del payload["address"]
    order = AmazonAdapter().parse_order(payload)
    assert order.ship_to["line1"] == "1 Cross St." and order.ship_to["country"] == "US"


def test_ebay_get_orders() -> None:
    page = sample("ebay_sell_fulfillment_getOrders_response_anonymized")
    order = EbayAdapter().parse_order(page["orders"][0])
    assert order.channel_ref == "1********5"
    assert line_keys(order) == [
        ("1********1", None, "2********1", 1, Decimal("100.0"), Decimal("100.0"))]
    assert order.ship_to == {"name": "B********y", "line1": "C********7",
                             "city": "A********e", "region": "M********d",
                             "postcode": "2***9", "country": "ES"}
    assert (order.currency, order.total) == ("EUR", Decimal("116.26"))
    assert order.payment_status == "paid"
    assert order.customer_email == "2********@********.com"


@pytest.mark.parametrize(("change", "reason"), [
    ((b'"currency": "USD"', b'"currency": "XYZ"'), "not an ISO 4217 currency"),
    ((b'"quantity": 1,', b'"quantity": 0,'), "quantity must be at least 1"),
    ((b'"price": "199.00"', b'"price": "lots"'), "is not an amount"),
    ((b'"country_code": "US"', b'"country_code": "QQ"'), "not an ISO 3166 country"),
])
def test_bad_shopify_fields_are_named(change: tuple[bytes, bytes], reason: str) -> None:
    body = raw("shopify_rest_order_fixture").replace(*change)
    if b'"country_code": "QQ"' in body:  # the name must not rescue a bad code either
        body = body.replace(b'"country": "United States"', b'"country": "Nowhere"')
    with pytest.raises(ChannelPayloadError, match=reason):
        ShopifyAdapter().parse_order(load_json(body))


def test_country_names_become_alpha_2() -> None:
    body = raw("shopify_rest_order_fixture").replace(b'"country_code": "US"',
                                                     b'"country_code": null')
    assert ShopifyAdapter().parse_order(load_json(body)).ship_to["country"] == "US"
