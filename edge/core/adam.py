"""Adam Equipment print frames (pure).

``P CR LF`` asks for a print: ``  1.234kg``. Quirk: the scale answers only once per new
non-zero weight, so silence means "nothing new" (or "0"), never "offline"; the driver keeps
the last weight and does not count unanswered polls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.core.readings import WeightReading
from edge.core.scale_dialect import GARBAGE, Probe, reading, split_lines

_FRAME = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d*)?)\s*([A-Za-z]{0,3})\s*(N|NET|G|GROSS)?\s*$")


def format_frame(value: float, unit: str = "kg", decimals: int = 3) -> bytes:
    return f"{value:>9.{decimals}f}{unit}\r\n".encode()


@dataclass(frozen=True)
class Adam:
    unit: str = "kg"
    name: str = "adam"
    poll: bytes | None = b"P\r\n"
    zero_request: bytes | None = None
    tare_request: bytes | None = None
    probe: Probe | None = None
    silence_is_offline: bool = False

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        return split_lines(buffer)

    def parse(self, frame: bytes) -> WeightReading:
        try:
            text = frame.decode("ascii")
        except UnicodeDecodeError:
            return GARBAGE
        match = _FRAME.match(text)
        if match is None:
            return GARBAGE
        sign, value, unit, kind = match.groups()
        number = float(value) * (-1 if sign == "-" else 1)
        return reading(number, unit or self.unit, stable=True, net=kind in ("N", "NET"))
