"""Tracking-number validation by courier format and check digit.

Formats are data: each courier publishes regexes (with named groups ``SerialNumber`` and
``CheckDigit``), a checksum (UPU S10 mod 11, UPS mod 10, DHL mod 7, DPD ISO 7064 mod 37/36)
and lookups that must match (e.g. an S10 number's country must have a postal operator).
The layout is the one of the ``courier_tracking_number_format_*.json`` files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")
_WHITESPACE = re.compile(r"\s+")
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _python_regex(pattern: str | list[str]) -> re.Pattern[str]:
    """The published regexes use PCRE ``(?<Name>...)``; Python spells it ``(?P<Name>...)``."""
    text = "".join(pattern) if isinstance(pattern, list) else pattern
    return re.compile(_NAMED_GROUP.sub("(?P<", text))


def _digits_only(text: str) -> str:
    return _WHITESPACE.sub("", text)


# --- checksums ------------------------------------------------------------------------------

def s10(serial: str, check: str, weightings: list[int], modulo: int = 11) -> bool:
    """UPU S10: weighted sum mod 11; 10 -> 0 and 11 -> 5."""
    if len(serial) != len(weightings) or not serial.isdigit() or not check.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(serial, weightings, strict=True))
    digit = modulo - total % modulo
    return {10: 0, 11: 5}.get(digit, digit) == int(check)


def mod10(serial: str, check: str, evens_multiplier: int = 1, odds_multiplier: int = 1,
          reverse: bool = False) -> bool:
    """UPS-style mod 10: letters count as (ord - 3) mod 10; even/odd positions (0-based)
    weighted; the check digit brings the sum to a multiple of 10."""
    if not check.isdigit():
        return False
    chars = serial[::-1] if reverse else serial
    total = 0
    for i, c in enumerate(chars):
        value = int(c) if c.isdigit() else (ord(c) - 3) % 10
        total += value * (odds_multiplier if i % 2 else evens_multiplier)
    return (10 - total % 10) % 10 == int(check)


def mod7(serial: str, check: str) -> bool:
    """DHL Express: the serial number mod 7 is the check digit."""
    return serial.isdigit() and check.isdigit() and int(serial) % 7 == int(check)


def mod_37_36(serial: str, check: str, alphabet: str = ALPHANUMERIC) -> bool:
    """ISO/IEC 7064 MOD 37,36 (DPD parcel numbers); the check character is alphanumeric."""
    modulo = len(alphabet)
    product = modulo
    for c in serial:
        if c not in alphabet:
            return False
        total = (product + alphabet.index(c)) % modulo or modulo
        product = (total * 2) % (modulo + 1)
    expected = (modulo + 1 - product) % modulo
    return alphabet[expected] == check


def _checksum(spec: Mapping[str, Any]) -> Callable[[str, str], bool]:
    name = spec["name"]
    if name == "s10":
        return lambda s, c: s10(s, c, list(spec["weightings"]), int(spec.get("modulo", 11)))
    if name == "mod10":
        return lambda s, c: mod10(s, c, int(spec.get("evens_multiplier", 1)),
                                  int(spec.get("odds_multiplier", 1)),
                                  bool(spec.get("reverse", False)))
    if name == "mod7":
        return mod7
    if name == "mod_37_36":
        return lambda s, c: mod_37_36(s, c, str(spec.get("alphabet", ALPHANUMERIC)))
    raise ValueError(f"unknown checksum {name!r}")


# --- formats ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lookup:
    """A published table keyed on one regex group; ``exists`` makes a match required."""

    name: str
    group: str
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, value: str) -> bool:
        return value in self.exact or any(p.fullmatch(value) for p in self.patterns)


@dataclass(frozen=True)
class TrackingFormat:
    courier: str
    id: str
    name: str
    regex: re.Pattern[str]
    checksum: Callable[[str, str], bool] | None
    required: tuple[Lookup, ...] = field(default=())

    def is_valid(self, number: str) -> bool:
        match = self.regex.fullmatch(number.upper())
        if match is None:
            return False
        groups = match.groupdict()
        if self.checksum is not None:
            serial, check = groups.get("SerialNumber"), groups.get("CheckDigit")
            if serial is None or check is None:
                return False
            if not self.checksum(_digits_only(serial), _digits_only(check)):
                return False
        for lookup in self.required:
            value = groups.get(lookup.group)
            if value is None or not lookup.matches(_digits_only(value)):
                return False
        return True


def _lookups(entry: Mapping[str, Any]) -> dict[str, Lookup]:
    found: dict[str, Lookup] = {}
    for extra in entry.get("additional", []):
        rows = extra.get("lookup", [])
        found[extra["name"]] = Lookup(
            name=extra["name"], group=extra["regex_group_name"],
            exact=frozenset(str(r["matches"]) for r in rows if "matches" in r),
            patterns=tuple(re.compile(str(r["matches_regex"]))
                           for r in rows if "matches_regex" in r))
    return found


def parse_formats(document: Mapping[str, Any]) -> list[TrackingFormat]:
    """Every format in one published courier document."""
    courier = str(document["courier_code"])
    formats = []
    for entry in document["tracking_numbers"]:
        validation = entry.get("validation", {})
        checksum = validation.get("checksum")
        lookups = _lookups(entry)
        required = tuple(lookups[name]
                         for name in validation.get("additional", {}).get("exists", []))
        formats.append(TrackingFormat(
            courier=courier, id=str(entry.get("id") or entry["name"]), name=str(entry["name"]),
            regex=_python_regex(entry["regex"]),
            checksum=_checksum(checksum) if checksum else None, required=required))
    return formats


def load_formats(paths: Iterable[Path]) -> dict[str, list[TrackingFormat]]:
    """Formats by courier code from published JSON files."""
    by_courier: dict[str, list[TrackingFormat]] = {}
    for path in paths:
        for fmt in parse_formats(json.loads(path.read_text(encoding="utf-8"))):
            by_courier.setdefault(fmt.courier, []).append(fmt)
    return by_courier


class TrackingValidator:
    """Is this a valid tracking number for this courier (or for any known courier)?"""

    def __init__(self, formats: Mapping[str, list[TrackingFormat]]) -> None:
        self.formats = dict(formats)

    def matching(self, number: str, courier: str | None = None) -> list[TrackingFormat]:
        couriers = [courier] if courier is not None else list(self.formats)
        return [fmt for c in couriers for fmt in self.formats.get(c, [])
                if fmt.is_valid(number)]

    def is_valid(self, number: str, courier: str) -> bool:
        if courier not in self.formats:
            raise KeyError(f"no tracking-number formats known for courier {courier!r}")
        return bool(self.matching(number, courier))
