"""USB HID point-of-sale scale reports (Dymo, Stamps.com, Mettler USB ...) (pure).

Each input report is 6 bytes: ``03 status unit exponent lo hi``; weight = (hi*256+lo) *
10**exponent (exponent is signed). Status: 1 fault, 2 stable at zero, 3 in motion, 4 stable,
5 under zero, 6 over weight, 7 needs calibration, 8 needs re-zeroing. Units: 2 g, 3 kg,
11 oz, 12 lb.
"""

from __future__ import annotations

from edge.core.readings import ScaleError, WeightReading
from edge.core.scale_dialect import GARBAGE, failure, reading

REPORT_ID = 0x03
REPORT_SIZE = 6
FAULT, ZERO, MOTION, STABLE, UNDER_ZERO, OVER_WEIGHT, CALIBRATE, REZERO = range(1, 9)
UNITS: dict[int, str] = {1: "mg", 2: "g", 3: "kg", 4: "ct", 11: "oz", 12: "lb"}
UNIT_CODES: dict[str, int] = {v: k for k, v in UNITS.items()}
_STATUS_ERRORS: dict[int, ScaleError] = {
    FAULT: "hardware", UNDER_ZERO: "underload", OVER_WEIGHT: "overload",
    CALIBRATE: "hardware", REZERO: "zero_range"}


def format_report(status: int, grams_or_value: int, unit: str = "g", exponent: int = 0) -> bytes:
    """Build a report; ``grams_or_value`` is the raw integer before the exponent."""
    raw = max(0, min(0xFFFF, grams_or_value))
    return bytes([REPORT_ID, status, UNIT_CODES[unit], exponent & 0xFF, raw & 0xFF, raw >> 8])


def parse_report(report: bytes) -> WeightReading:
    if len(report) != REPORT_SIZE or report[0] != REPORT_ID:
        return GARBAGE
    status, unit_code, exp_byte, lo, hi = report[1:]
    if status in _STATUS_ERRORS:
        return failure(_STATUS_ERRORS[status])
    if status not in (ZERO, MOTION, STABLE):
        return GARBAGE
    unit = UNITS.get(unit_code)
    if unit is None:
        return GARBAGE
    exponent = exp_byte - 256 if exp_byte > 127 else exp_byte
    value = round((hi << 8 | lo) * 10.0 ** exponent, 6)
    if status == ZERO:
        value = 0.0
    return reading(value, unit, stable=status != MOTION)


def split_reports(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut 6-byte reports, resynchronising on the report id after noise."""
    reports: list[bytes] = []
    while len(buffer) >= REPORT_SIZE:
        if buffer[0] != REPORT_ID:
            nxt = buffer.find(bytes([REPORT_ID]), 1)
            cut = nxt if nxt > 0 else len(buffer)
            reports.append(buffer[:cut])  # reported as garbage
            buffer = buffer[cut:]
            continue
        reports.append(buffer[:REPORT_SIZE])
        buffer = buffer[REPORT_SIZE:]
    return reports, buffer
