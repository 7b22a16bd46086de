"""Channel orders into canonical orders on SQLite and PostgreSQL: mapping, quarantine and
re-processing, duplicates, updates before and after release, CSV import."""

from __future__ import annotations

import json
from decimal import Decimal

from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.service_layer.channels.intake import IngestResult
from tests.integration.hub.channels.support import (
    amazon_payload,
    map_samples,
    raw,
    shopify_body,
    woo_body,
)


def ingest(hub: Hub, channel: str, payload: str | bytes,
           delivery: str | None = None) -> IngestResult:
    text = payload.decode() if isinstance(payload, bytes) else payload
    result: IngestResult = hub.handle(cc.IngestChannelOrder(channel, text, delivery))
    return result


def timeline_names(hub: Hub, order_id: str) -> list[tuple[str, str]]:
    with hub.uow(read_only=True) as uow:
        return [(e.name, e.outcome) for e in uow.repo.timeline(order_id)]


def test_unmapped_lines_are_quarantined_then_fixed_and_reprocessed(warehouse: Hub) -> None:
    first = ingest(warehouse, "shopify", shopify_body(), "wh-1")
    assert first.status == "quarantined" and first.channel_ref == "450789469"
    assert "IPOD2008GREEN" in (first.reason or "") and "IPOD2008BLACK" in (first.reason or "")
    with warehouse.uow(read_only=True) as uow:
        assert uow.repo.order_by_channel_ref("shopify", "450789469") is None
    # a retry of the same order while it waits in quarantine keeps one entry
    again = ingest(warehouse, "shopify", shopify_body(), "wh-2")
    assert again.quarantine_id == first.quarantine_id
    map_samples(warehouse)
    assert first.quarantine_id is not None
    done = warehouse.handle(cc.ReprocessQuarantined(first.quarantine_id))
    assert done.status == "created"
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(done.order_id)
        assert order is not None
        assert [(line.sku, line.qty, line.unit_price) for line in order.lines] == [
            ("MUG", 1, Decimal("199.00")), ("TEE", 1, Decimal("199.00")),
            ("TEE", 1, Decimal("199.00"))]
        assert (order.currency, order.total, order.status) == ("USD", Decimal("409.94"),
                                                               "ready")
        assert order.ship_to["country"] == "US" and order.ship_to["postcode"] == "40202"
    assert warehouse.handle(cc.ReprocessQuarantined(first.quarantine_id)).status == "duplicate"


def test_replays_and_repeats_store_one_order(warehouse: Hub) -> None:
    map_samples(warehouse)
    created = ingest(warehouse, "woocommerce", woo_body(), "d-1")
    assert created.status == "created"
    assert ingest(warehouse, "woocommerce", woo_body(), "d-1").status == "replayed"
    assert ingest(warehouse, "woocommerce", woo_body(), "d-2").status == "duplicate"
    with warehouse.uow(read_only=True) as uow:
        assert len(uow.repo.list_orders(None, 100, 0)) == 1
        order = uow.repo.get_order(created.order_id or "")
        assert order is not None
        assert [(line.sku, line.qty, line.unit_price) for line in order.lines] == [
            ("TEE", 2, Decimal("3.00")), ("MUG", 1, Decimal("12.00"))]
        assert order.total == Decimal("29.35")


def test_update_after_release_is_flagged_not_applied(warehouse: Hub) -> None:
    map_samples(warehouse)
    created = ingest(warehouse, "woocommerce", woo_body())
    assert created.order_id is not None
    warehouse.handle(commands.ReleaseOrder(created.order_id))
    data = json.loads(woo_body())
    data["line_items"][0]["quantity"] = 5
    data["date_modified_gmt"] = "2017-03-23T10:00:00"
    flagged = ingest(warehouse, "woocommerce", json.dumps(data))
    assert flagged.status == "flagged" and "released" in (flagged.reason or "")
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(created.order_id)
        assert order is not None and [line.qty for line in order.lines] == [2, 1]
    assert ("channel_update_flagged", "update_after_release") in timeline_names(
        warehouse, created.order_id)
    # the same update again changes nothing more
    assert ingest(warehouse, "woocommerce", json.dumps(data)).status == "duplicate"


def test_amazon_pending_is_held_until_a_later_poll_says_unshipped(warehouse: Hub) -> None:
    map_samples(warehouse)
    held = ingest(warehouse, "amazon", amazon_payload())
    assert held.status == "created" and held.order_id is not None
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(held.order_id)
        assert order is not None and (order.status, order.payment_status) == ("held", "pending")
        assert order.total == Decimal("45.20") and order.currency == "JPY"
        assert [(line.sku, line.qty) for line in order.lines] == [("MUG", 1), ("TEE", 2)]
    paid = ingest(warehouse, "amazon", amazon_payload(OrderStatus="Unshipped",
                                                      LastUpdateDate="2017-01-21T08:00:00Z"))
    assert paid.status == "updated"
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(held.order_id)
        assert order is not None and (order.status, order.payment_status) == ("ready", "paid")
    assert ("payment_confirmed", "ok") in timeline_names(warehouse, held.order_id)
    cancelled = ingest(warehouse, "amazon", amazon_payload(
        OrderStatus="Canceled", LastUpdateDate="2017-01-22T08:00:00Z"))
    assert cancelled.status == "cancelled"  # not yet released: the cancellation applies
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(held.order_id)
        assert order is not None and (order.status, order.payment_status) == (
            "cancelled", "paid")
    assert ("order_cancelled", "cancelled_by_channel") in timeline_names(
        warehouse, held.order_id)


def test_ebay_order_through_a_listing_mapping(warehouse: Hub) -> None:
    map_samples(warehouse)
    page = json.loads(raw("ebay_sell_fulfillment_getOrders_response_anonymized"))
    result = ingest(warehouse, "ebay", json.dumps(page["orders"][0]))
    assert result.status == "created"
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(result.order_id or "")
        assert order is not None
        assert (order.total, order.currency, order.ship_to["country"]) == (
            Decimal("116.26"), "EUR", "ES")
        assert [(line.sku, line.qty, line.unit_price) for line in order.lines] == [
            ("MUG", 1, Decimal("100.00"))]


def test_unreadable_payload_is_kept_in_quarantine(warehouse: Hub) -> None:
    result = ingest(warehouse, "ebay", '{"orderId": "9"}')
    assert result.status == "quarantined" and "lineItems" in (result.reason or "")
    with warehouse.uow(read_only=True) as uow:
        from hub.adapters.channel_repository import ChannelRepository

        (entry,) = ChannelRepository(uow.session).quarantined()
        assert entry.payload == '{"orderId": "9"}'


def test_csv_import_maps_by_gtin_and_reports_rows(warehouse: Hub) -> None:
    content = (
        "order_ref,sku,gtin,qty,unit_price,currency,name,line1,city,postcode,country\n"
        "P-1,,5012345678917,2,12.50,GBP,Ada,1 Road,Leeds,LS1 1AA,GB\n"
        "P-2,NOPE,,1,1.00,GBP,Bob,2 Road,York,YO1 1AA,GB\n"
        "P-3,MUG,,-1,1.00,GBP,Cy,3 Road,Hull,HU1 1AA,GB\n")
    results, errors = warehouse.handle(cc.ImportCsvOrders(content))
    assert [(r.channel_ref, r.status) for r in results] == [("P-1", "created"),
                                                            ("P-2", "quarantined")]
    assert [(e.row, e.order_ref) for e in errors] == [(4, "P-3")]
    with warehouse.uow(read_only=True) as uow:
        order = uow.repo.get_order(results[0].order_id or "")
        assert order is not None and [(line.sku, line.qty) for line in order.lines] == [
            ("TEE", 2)]
        assert order.total == Decimal("25.00")
    warehouse.handle(cc.MapListing("csv", "NOPE", "MUG"))
    assert results[1].quarantine_id is not None
    assert warehouse.handle(cc.ReprocessQuarantined(results[1].quarantine_id)).status == \
        "created"
