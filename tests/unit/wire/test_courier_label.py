"""The courier label document inside print_label: size, encoding and format checks, and a
largest allowed label still fitting the codec's payload limit."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from edge.wire import messages as m
from edge.wire import topics
from edge.wire.codec import MAX_PAYLOAD_BYTES, WireError, decode, encode

HUB = {"device_id": "hub", "boot_id": "b", "seq": 1}
TOPIC = topics.command("leeds", "bench-1", "print_label")
LABEL = m.LabelData(order_ref="ord_1", ship_to=["Ada Lovelace", "London"], courier="ups",
                    service="11", tracking_number="1Z999AA10123456784", weight_g=400.0)


def command(document: m.CourierLabel | None) -> m.PrintLabel:
    return m.PrintLabel(**HUB, command_id="label_shp_1", order_id="ord_1",
                        shipment_id="shp_1", label=LABEL, courier_label=document)


def test_the_largest_allowed_label_fits_in_one_message() -> None:
    rows = bytes(range(256)) * (m.COURIER_LABEL_MAX_BYTES // 256)
    assert len(rows) == m.COURIER_LABEL_MAX_BYTES
    payload = encode(command(m.CourierLabel.of("escpos_raster", rows, 576)))
    assert len(payload) < MAX_PAYLOAD_BYTES
    decoded = decode(TOPIC, payload)
    assert isinstance(decoded, m.PrintLabel) and decoded.courier_label is not None
    assert decoded.courier_label.data() == rows


def test_an_oversized_label_is_refused_with_its_field_named() -> None:
    with pytest.raises(ValidationError, match="at most 196608 characters"):
        m.CourierLabel.of("escpos_raster", bytes(m.COURIER_LABEL_MAX_BYTES + 72), 576)
    doc = json.loads(encode(command(m.CourierLabel.of("zpl", b"^XA^XZ", 812))))
    doc["courier_label"]["data_b64"] = "A" * (m.COURIER_LABEL_MAX_B64 + 4)
    with pytest.raises(WireError) as caught:
        decode(TOPIC, json.dumps(doc).encode())
    assert caught.value.code == "invalid"
    assert caught.value.reason.startswith("courier_label.data_b64: String should have at most")


@pytest.mark.parametrize(("kind", "data", "width", "words"), [
    ("png", b"GIF89a....", 576, "not a PNG image"),
    ("zpl", b"N\nA50,0,0,1,1,1,N,\"EPL\"\nP1\n", 812, "not a ZPL label"),
    ("escpos_raster", bytes(100), 576, "not whole rows of 576 dots"),
])
def test_a_document_must_be_what_it_says(kind: m.CourierLabelFormat, data: bytes, width: int,
                                         words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        m.CourierLabel.of(kind, data, width)


def test_data_must_be_base64() -> None:
    with pytest.raises(ValidationError, match="not valid base64"):
        m.CourierLabel(format="zpl", data_b64="^XA^XZ!!", width_dots=812)


def test_a_print_label_without_a_courier_label_is_still_valid() -> None:
    decoded = decode(TOPIC, encode(command(None)))
    assert isinstance(decoded, m.PrintLabel)
    assert decoded.courier_label is None and decoded.label == LABEL


def test_birth_carries_the_printer() -> None:
    info = m.PrinterInfo(language="zpl", dpi=203, width_dots=812, formats=["zpl"])
    status = m.DeviceStatus(device_id="bench-1", boot_id="b", seq=0, state="online", bdseq=1,
                            role="pack_bench", printer=info)
    decoded = decode(topics.status("leeds", "bench-1"), encode(status))
    assert isinstance(decoded, m.DeviceStatus) and decoded.printer == info
    assert base64.b64decode(m.CourierLabel.of("zpl", b"^XA^XZ", 812).data_b64) == b"^XA^XZ"
