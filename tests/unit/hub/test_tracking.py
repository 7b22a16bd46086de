"""The manual courier's S10 numbers against the published S10 examples."""

from __future__ import annotations

import json
from pathlib import Path

from hub.domain.tracking import is_valid_s10, s10_check_digit, s10_number

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "couriers"


def published() -> dict[str, list[str]]:
    data = json.loads((SAMPLES / "courier_tracking_number_format_s10_upu.json").read_text())
    numbers: dict[str, list[str]] = data["tracking_numbers"][0]["test_numbers"]
    return numbers


def test_published_valid_numbers_have_the_right_check_digit() -> None:
    for number in published()["valid"]:
        assert is_valid_s10(number), number
        assert s10_check_digit(number[2:10]) == int(number[10])


def test_published_bad_check_digit_is_refused() -> None:
    bad_digit = [n for n in published()["invalid"] if n[10] != "5"]
    assert bad_digit == ["RB123456786US"]
    assert not is_valid_s10(bad_digit[0])


def test_generated_numbers_are_valid_and_distinct() -> None:
    numbers = {s10_number("VV", serial, "GB") for serial in range(1, 500)}
    assert len(numbers) == 499
    assert all(is_valid_s10(n) for n in numbers)
    assert s10_number("RB", 12345678, "GB") == "RB123456785GB"
