"""Property/fuzz tests of every parser that reads outside input: whatever arrives, each one
answers or raises its own declared error, never anything else.

Barcodes (key events from a scanner; pick and pack scans), scale frames (every serial dialect,
the HID report, MT-SICS), MQTT payloads (edge/wire/codec.decode), channel orders, courier
answers and CSV imports.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.core import hid_pos_scale, mtsics
from edge.core.adam import Adam
from edge.core.cas_continuous import CasContinuous
from edge.core.nci_scp12 import NciScp12
from edge.core.pack_bench import PackBench
from edge.core.pick_zone import PickZone
from edge.core.readings import WeightReading
from edge.core.scanner_keys import KeyDecoder
from edge.core.toledo8217 import Toledo8217
from edge.wire import codec
from hub.adapters.channels import ADAPTERS
from hub.adapters.channels.base import ChannelPayloadError, load_json
from hub.adapters.channels.csv_import import COLUMNS, TEMPLATE, parse_csv
from hub.adapters.couriers import dhl, dpd, easypost, royalmail, ups
from hub.adapters.couriers.base import CourierError
from tests.security.strategies import SHARED, json_values, mutated

# a short run in CI; FULFIL_PARSER_EXAMPLES=5000 for a long one
FUZZ = settings(max_examples=int(os.environ.get("FULFIL_PARSER_EXAMPLES", "60")),
                deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DIALECTS = [Toledo8217(unit="lb"), NciScp12(), CasContinuous(), Adam(unit="kg")]


def sample(folder: str, name: str) -> Any:
    return json.loads((SHARED / folder / name).read_text(encoding="utf-8"))


# --- barcodes ----------------------------------------------------------------------------

key_events = st.lists(st.tuples(st.integers(0, 300), st.integers(-1, 3),
                                st.floats(0, 10, allow_nan=False)), max_size=200)


@FUZZ
@given(events=key_events, layout=st.sampled_from(["us", "uk", "de", "fr"]))
def test_scanner_key_decoder_only_returns_codes(events: list[tuple[int, int, float]],
                                                layout: str) -> None:
    decoder = KeyDecoder(layout=layout, max_length=64)  # type: ignore[arg-type]
    for code, value, at in sorted(events, key=lambda e: e[2]):
        read = decoder.feed(code, value, at)
        assert read is None or (isinstance(read, str) and 0 < len(read) <= 64)


@FUZZ
@given(barcode=st.text(max_size=600))
def test_scans_of_any_text_are_handled(barcode: str) -> None:
    for station in (PickZone(["A01-01-A"]), PackBench()):
        effects = station.scan(barcode)
        assert isinstance(effects, list) and effects


# --- scale frames ------------------------------------------------------------------------

def _frames() -> st.SearchStrategy[bytes]:
    recorded = [frame.encode("latin-1") if isinstance(frame, str) else bytes(frame)
                for frames in _recorded_frames() for frame in frames]
    return st.binary(max_size=300) | st.sampled_from(recorded).flatmap(
        lambda f: st.binary(max_size=8).map(lambda noise: f[: len(f) // 2] + noise
                                            + f[len(f) // 2:]))


def _recorded_frames() -> list[list[Any]]:
    data = sample("devices", "scale_frames.json")
    found: list[list[Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, str) and 0 < len(node) < 200:
            found.append([node])
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found or [["ST,GS,+00001.50kg\r\n"]]


@FUZZ
@given(stream=_frames())
def test_scale_dialects_read_any_bytes(stream: bytes) -> None:
    for dialect in DIALECTS:
        frames, rest = dialect.split(stream)
        assert len(rest) <= len(stream)
        for frame in [*frames, stream]:
            assert isinstance(dialect.parse(frame), WeightReading)


@FUZZ
@given(stream=_frames())
def test_mt_sics_and_hid_reports_read_any_bytes(stream: bytes) -> None:
    assert isinstance(mtsics.parse_weight(stream), WeightReading)
    mtsics.parse_response(stream)
    reports, _rest = hid_pos_scale.split_reports(stream)
    for report in [*reports, stream[:6]]:
        assert isinstance(hid_pos_scale.parse_report(report), WeightReading)


# --- MQTT payloads -----------------------------------------------------------------------

topics = st.sampled_from(["fulfil/s/d1/evt/item_picked", "fulfil/s/d1/evt/scan_rejected",
                          "fulfil/s/d1/evt/parcel_weighed", "fulfil/s/d1/status",
                          "fulfil/s/d1/health", "fulfil/s/d1/cmd/pick_task",
                          "fulfil/s/d1/ack", "fulfil/s", "x/y/z"]) | st.text(max_size=60)
envelope = st.fixed_dictionaries({"v": st.just(1), "msg_id": st.text(min_size=8, max_size=20),
                                  "device_id": st.just("d1"), "boot_id": st.just("b"),
                                  "seq": st.integers(-1, 5), "ts": st.just("2025-01-01T00:00Z"),
                                  "type": st.sampled_from(["item_picked", "status",
                                                           "parcel_weighed", "pick_task"])},
                                 optional={"state": st.sampled_from(["online", "x"]),
                                           "bdseq": json_values, "pick_id": json_values,
                                           "qty": json_values, "grams": json_values})
payloads = (st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode())
            | st.builds(lambda base, extra: json.dumps({**base, **extra}).encode(), envelope,
                        st.dictionaries(st.text(max_size=8), json_values, max_size=3)))


@FUZZ
@given(topic=topics, payload=payloads)
def test_mqtt_decode_raises_only_wire_errors(topic: str, payload: bytes) -> None:
    try:
        message = codec.decode(topic, payload)
    except codec.WireError as exc:
        assert exc.code and exc.reason
    else:
        assert message.v == 1


def test_mqtt_decode_refuses_an_oversized_payload() -> None:
    big = b'{"v": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    with pytest.raises(codec.WireError, match="exceeds"):
        codec.decode("fulfil/s/d1/evt/item_picked", big)


# --- channel orders ----------------------------------------------------------------------

def _channel_samples() -> dict[str, Any]:
    channels = "channels"
    return {
        "shopify": sample(channels, "channel_shopify_rest_order_fixture.json"),
        "woocommerce": sample(channels, "channel_woocommerce_v3_order_retrieve_response.json"),
        "ebay": sample(channels, "channel_ebay_sell_fulfillment_getOrders_response_anonymized"
                                 ".json")["orders"][0],
        "amazon": {
            "order": sample(channels, "channel_amazon_spapi_orders_v0_getOrders_doc_example"
                                      ".json")["payload"]["Orders"][0],
            "items": sample(channels, "channel_amazon_spapi_orders_v0_getOrderItems_doc_example"
                                      ".json")["payload"]["OrderItems"],
            "address": sample(channels, "channel_amazon_spapi_orders_v0_getOrderAddress_doc_"
                                        "example.json")["payload"]},
    }


CHANNEL_SAMPLES = _channel_samples()


@pytest.mark.parametrize("channel", sorted(ADAPTERS))
def test_channel_orders_raise_only_payload_errors(channel: str) -> None:
    adapter = ADAPTERS[channel]()
    adapter.parse_order(CHANNEL_SAMPLES[channel])  # the real sample is read

    @FUZZ
    @given(payload=mutated(CHANNEL_SAMPLES[channel]) | json_values)
    def parse(payload: Any) -> None:
        try:
            adapter.parse_order(load_json(json.dumps(payload, default=str)))
        except ChannelPayloadError as exc:
            assert str(exc)

    parse()


@FUZZ
@given(raw=st.binary(max_size=300))
def test_channel_json_raises_only_payload_errors(raw: bytes) -> None:
    try:
        value = load_json(raw)
    except ChannelPayloadError as exc:
        assert "not JSON" in str(exc)
    else:
        assert value is None or isinstance(value, (dict, list, str, int, bool, Decimal))


# --- courier answers ---------------------------------------------------------------------

COURIER_PARSERS = {
    "dhl shipment": (dhl.parse_shipment_response,
                     "courier_dhl_express_mydhl_shipment_response.json"),
    "dhl tracking": (dhl.parse_tracking, "courier_dhl_express_mydhl_tracking_response.json"),
    "ups shipment": (ups.parse_shipment_response, "courier_ups_shipment_response.json"),
    "ups tracking": (ups.parse_tracking, "courier_ups_tracking_response.json"),
    "easypost rates": (easypost.parse_rates, "courier_easypost_shipment_create_response.json"),
    "easypost bought": (easypost.parse_bought, "courier_easypost_shipment_buy_response.json"),
    "royalmail tracking": (royalmail.parse_tracking,
                           "courier_royalmail_tracking_api_v2_mailpieces_events_response.json"),
    "royalmail created": (royalmail.parse_created_order, None),
    "dpd shipment": (dpd.parse_insert_shipment, None),
}
MINIMAL = {"royalmail created": {"createdOrders": [{"orderIdentifier": 1,
                                                    "trackingNumber": "AB123456789GB"}]},
           "dpd shipment": {"data": {"shipmentId": 1, "consolidated": False,
                                     "consignmentDetail": [{"consignmentNumber": "1",
                                                            "parcelNumbers": ["15501"]}]}}}


@pytest.mark.parametrize("name", sorted(COURIER_PARSERS))
def test_courier_answers_raise_only_courier_errors(name: str) -> None:
    parse, file = COURIER_PARSERS[name]
    seed = sample("couriers", file) if file else MINIMAL[name]

    @FUZZ
    @given(document=mutated(seed) | json_values)
    def read(document: Any) -> None:
        try:
            parse(document)
        except CourierError as exc:
            assert str(exc)

    read()


# --- CSV imports -------------------------------------------------------------------------

csv_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                    max_size=12) | st.sampled_from(["", "2", "-1", "1e9", "GB", "8.50", "x,y",
                                                    '"', "\r\n", "PH-1"])


@st.composite
def csv_documents(draw: st.DrawFn) -> str:
    header = draw(st.permutations(COLUMNS).map(lambda c: c[: draw(st.integers(3, len(c)))]))
    if draw(st.booleans()):
        header = [*header, draw(st.text(max_size=6))]
    rows = draw(st.lists(st.lists(csv_cells, min_size=len(header), max_size=len(header) + 1),
                         max_size=6))
    return "\n".join(",".join(cells) for cells in [header, *rows])


@FUZZ
@given(content=csv_documents() | st.text(max_size=400)
       | st.text(max_size=200).map(lambda t: TEMPLATE + t))
def test_csv_import_raises_only_payload_errors(content: str) -> None:
    try:
        result = parse_csv(content)
    except ChannelPayloadError as exc:
        assert str(exc)
    else:
        assert all(error.reason for error in result.errors)
