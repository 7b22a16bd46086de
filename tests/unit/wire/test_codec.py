"""Decoding checks each payload against its topic and names what is wrong."""

from __future__ import annotations

import json

import pytest

from edge.wire import messages as m
from edge.wire import topics
from edge.wire.codec import MAX_PAYLOAD_BYTES, WireError, decode, encode

TOPIC = "fulfil/site/zone-a/evt/pick_confirmed"


def confirmed(**changes: object) -> dict[str, object]:
    event = m.PickConfirmed(device_id="zone-a", boot_id="b", seq=3, task_id="t", pick_id="p",
                            order_id="o", sku="MUG", location="A01-01-A", qty=1, method="scan")
    return {**json.loads(encode(event)), **changes}


def test_round_trip_keeps_every_field() -> None:
    body = confirmed()
    decoded = decode(TOPIC, json.dumps(body).encode())
    assert isinstance(decoded, m.PickConfirmed)
    assert json.loads(encode(decoded)) == body


@pytest.mark.parametrize(("topic", "payload", "code", "words"), [
    (TOPIC, b"\xff\xfe", "bad_json", "not JSON"),
    (TOPIC, b"[1, 2]", "bad_json", "JSON object"),
    (TOPIC, json.dumps(confirmed(v=2)).encode(), "bad_version", "version 2"),
    (TOPIC, json.dumps(confirmed(type="pick_short")).encode(), "unknown_type", "pick_short"),
    ("fulfil/site/zone-a/evt/teleport", json.dumps(confirmed()).encode(), "unknown_type", ""),
    (TOPIC, json.dumps(confirmed(qty=0)).encode(), "invalid", "qty"),
    (TOPIC, json.dumps(confirmed(device_id="zone-b")).encode(), "invalid", "device_id"),
    (TOPIC, json.dumps(confirmed(extra=1)).encode(), "invalid", "extra"),
    ("elsewhere/x", b"{}", "unknown_type", "not under"),
    (TOPIC, b" " * (MAX_PAYLOAD_BYTES + 1), "invalid", "exceeds"),
])
def test_bad_payloads_say_why(topic: str, payload: bytes, code: str, words: str) -> None:
    with pytest.raises(WireError) as caught:
        decode(topic, payload)
    assert caught.value.code == code
    assert words in caught.value.reason


def test_missing_field_is_named() -> None:
    body = confirmed()
    del body["sku"]
    with pytest.raises(WireError, match="sku"):
        decode(TOPIC, json.dumps(body).encode())


def test_topic_parse_and_builders_agree() -> None:
    assert topics.parse(topics.event("s", "d", "pick_short")) == topics.ParsedTopic(
        "s", "d", "evt", "pick_short")
    assert topics.parse(topics.peripheral_status("s", "d", "scale")).kind == "peripheral_status"
    with pytest.raises(ValueError):
        topics.parse("fulfil/s/d/cmd")
