"""Tracking-number validators against every published valid/invalid example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.domain.tracking import s10_number
from hub.domain.tracking_formats import (
    TrackingValidator,
    load_formats,
    mod7,
    mod10,
    mod_37_36,
    parse_formats,
)

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "couriers"
FILES = sorted(SAMPLES.glob("courier_tracking_number_format_*.json"))


def _examples(kind: str) -> list[Any]:
    cases = []
    for path in FILES:
        document = json.loads(path.read_text(encoding="utf-8"))
        for entry, fmt in zip(document["tracking_numbers"], parse_formats(document),
                              strict=True):
            for number in entry["test_numbers"][kind]:
                cases.append(pytest.param(fmt, number, id=f"{fmt.id}:{number.strip()}"))
    return cases


def test_the_published_files_are_there() -> None:
    couriers = {json.loads(p.read_text())["courier_code"] for p in FILES}
    assert couriers == {"dhl", "dpd", "s10", "ups", "yodel"}


@pytest.mark.parametrize(("fmt", "number"), _examples("valid"))
def test_published_valid_numbers_pass(fmt: Any, number: str) -> None:
    assert fmt.is_valid(number)


@pytest.mark.parametrize(("fmt", "number"), _examples("invalid"))
def test_published_invalid_numbers_fail(fmt: Any, number: str) -> None:
    assert not fmt.is_valid(number)


def test_validator_by_courier() -> None:
    validator = TrackingValidator(load_formats(FILES))
    assert validator.is_valid("1Z5R89390357567127", "ups")
    assert not validator.is_valid("1Z5R89390357567128", "ups")
    assert [f.id for f in validator.matching("RB123456785GB")] == ["s10"]
    with pytest.raises(KeyError, match="royalmail"):
        validator.is_valid("RB123456785GB", "royalmail")


def test_manual_courier_numbers_are_valid_s10() -> None:
    validator = TrackingValidator(load_formats(FILES))
    for serial in (0, 1, 7, 12345678, 99999999):
        assert validator.is_valid(s10_number("VV", serial, "GB"), "s10")


@pytest.mark.parametrize(("serial", "check", "ok"), [
    ("1Z5R8939035756712"[2:], "7", True), ("5R893903575671", "2", False)])
def test_mod10_single_digit_change_is_caught(serial: str, check: str, ok: bool) -> None:
    assert mod10(serial, check, 1, 2) is ok


def test_mod7_and_mod_37_36_reject_every_other_check_character() -> None:
    assert [d for d in "0123456789" if mod7("331881002", d)] == ["5"]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert [c for c in alphabet if mod_37_36("00818270998000002003335027" "6", c)] == ["C"]
