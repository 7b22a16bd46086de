"""MT-SICS frames -> readings, including every mt_sics case of scale_frames.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.core.mtsics import format_weight, parse_response, parse_weight, to_grams

FRAMES = Path("/work/shared/samples/devices/scale_frames.json")
SAMPLE_CASES = (json.loads(FRAMES.read_text())["mt_sics"]["cases"] if FRAMES.exists() else [])
# The same cases, kept here so the test does not depend on the samples directory.
CASES = [
    {"tx": "S\r\n", "rx": "S S     100.00 g\r\n",
     "expect": {"ok": True, "stable": True, "value": 100.0, "unit": "g"}},
    {"tx": "S\r\n", "rx": "S I\r\n", "expect": {"ok": False, "error": "not_executable"}},
    {"tx": "S\r\n", "rx": "S -\r\n", "expect": {"ok": False, "error": "underload"}},
    {"tx": "S\r\n", "rx": "ET\r\n", "expect": {"ok": False, "error": "transmission"}},
    {"tx": "Z\r\n", "rx": "Z A\r\n", "expect": {"ok": True}},
    {"tx": "I4\r\n", "rx": 'I4 A "0123456789"\r\n', "expect": {"ok": True, "serial": "0123456789"}},
]


def test_local_cases_match_the_samples() -> None:
    if SAMPLE_CASES:
        assert [(c["rx"], c["expect"]) for c in SAMPLE_CASES] == \
            [(c["rx"], c["expect"]) for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=[c["rx"].strip() for c in CASES])
def test_sample_case(case: dict) -> None:
    rx = case["rx"].encode()
    expect = case["expect"]
    command = case["tx"].strip()
    if command == "S":
        reading = parse_weight(rx)
        assert (reading.error is None) is expect["ok"]
        if expect["ok"]:
            assert reading.stable is expect["stable"]
            assert reading.value == expect["value"]
            assert reading.unit == expect["unit"]
            assert reading.grams == 100.0
        else:
            assert reading.error == expect["error"]
            assert reading.grams is None
    else:
        answer = parse_response(rx)
        assert answer.ok is expect["ok"]
        assert answer.command == command
        if "serial" in expect:
            assert answer.text == expect["serial"]


@pytest.mark.parametrize(("line", "grams", "unit"), [
    (b"S S      1.234 kg\r\n", 1234.0, "kg"),
    (b"S S 100.00 g\r\n", 100.0, "g"),
    (b"S S\t  2.000 lb\r\n", 907.18474, "lb"),
    (b"S S      3.00 oz\r\n", 85.048569, "oz"),
    (b"SI S     -12.50 g\r\n", -12.5, "g"),
    (b"S S  -    12.50 g\r\n", -12.5, "g"),
    (b"S A     250.0 g\r\n", 250.0, "g"),
])
def test_stable_weights_in_any_unit(line: bytes, grams: float, unit: str) -> None:
    reading = parse_weight(line)
    assert reading.error is None
    assert reading.stable is True
    assert reading.grams == pytest.approx(grams)
    assert reading.unit == unit


def test_dynamic_weight_is_not_stable_and_says_motion() -> None:
    reading = parse_weight(b"S D     98.20 g\r\n")
    assert reading.stable is False
    assert reading.error == "motion"
    assert reading.grams == 98.2  # the value is kept, but flagged


def test_net_flag() -> None:
    assert parse_weight(b"S S   10.00 g N\r\n").net is True
    assert parse_weight(b"S S   10.00 g\r\n").net is False


@pytest.mark.parametrize(("line", "error"), [
    (b"S +\r\n", "overload"),
    (b"SI -\r\n", "underload"),
    (b"S I\r\n", "not_executable"),
    (b"ES\r\n", "syntax"),
    (b"ET\r\n", "transmission"),
    (b"EL\r\n", "logical"),
])
def test_error_frames(line: bytes, error: str) -> None:
    reading = parse_weight(line)
    assert reading.error == error
    assert reading.grams is None
    assert reading.stable is False


@pytest.mark.parametrize("line", [
    b"", b"\r\n", b"\xff\xfe\x00\r\n", b"S S abc g\r\n", b"S S 100.00\r\n", b"S X 1 g\r\n",
    b"S\r\n", b"hello world\r\n", b"S S 1.0 furlong\r\n", b"Z A\r\n", b"S S nan g\r\n",
    b"#!$ 1 2\r\n", b"S S 1\x0700 g\r\n",
])
def test_garbage(line: bytes) -> None:
    reading = parse_weight(line)
    assert reading.error == "garbage"
    assert reading.grams is None


def test_units_and_formatting_round_trip() -> None:
    assert to_grams(1, "KG") == 1000.0
    assert to_grams(1, "stone") is None
    frame = format_weight("S", "S", 100.0)
    assert frame == b"S S     100.00 g\r\n"
    assert parse_weight(frame).grams == 100.0
