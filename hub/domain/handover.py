"""Hand-over at the dock (step 13): the parcels scanned out against the courier's manifest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def normalise(barcode: str) -> str:
    return "".join(barcode.split()).upper()


@dataclass(frozen=True)
class ScanCheck:
    expected: tuple[str, ...]
    scanned: tuple[str, ...]
    missing: tuple[str, ...]  # on the manifest, not scanned: must not be left behind
    extra: tuple[str, ...]  # scanned, not on the manifest: must not leave with this driver
    repeated: tuple[str, ...]  # scanned more than once (harmless, shown)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.extra


def check_scan_out(expected: Iterable[str], scanned: Iterable[str]) -> ScanCheck:
    wanted = [normalise(n) for n in expected]
    seen: list[str] = []
    repeated: list[str] = []
    for barcode in (normalise(s) for s in scanned):
        (repeated if barcode in seen else seen).append(barcode)
    wanted_set, seen_set = set(wanted), set(seen)
    return ScanCheck(expected=tuple(wanted), scanned=tuple(seen),
                     missing=tuple(n for n in wanted if n not in seen_set),
                     extra=tuple(n for n in seen if n not in wanted_set),
                     repeated=tuple(dict.fromkeys(repeated)))
