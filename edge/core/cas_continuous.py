"""CAS / A&D continuous output frames (pure).

The scale streams lines such as ``ST,GS,+  0012.34kg``: ``ST`` stable, ``US`` unstable,
``OL`` overload; ``GS`` gross, ``NT`` net; sign; padded value; unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.core.readings import WeightReading
from edge.core.scale_dialect import GARBAGE, Probe, failure, reading, split_lines

_FRAME = re.compile(
    r"^(ST|US|OL),(GS|NT|TR)?,?([+-])?\s*(\d+(?:\.\d*)?)?\s*([A-Za-z]{1,3})?\s*$")


def format_frame(state: str, value: float, unit: str = "kg", net: bool = False,
                 decimals: int = 2) -> bytes:
    sign = "-" if value < 0 else "+"
    field = f"{abs(value):.{decimals}f}".rjust(7, "0")
    return f"{state},{'NT' if net else 'GS'},{sign}  {field}{unit}\r\n".encode()


@dataclass(frozen=True)
class CasContinuous:
    name: str = "cas_continuous"
    poll: bytes | None = None
    zero_request: bytes | None = None
    tare_request: bytes | None = None
    probe: Probe | None = None
    silence_is_offline: bool = True

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        return split_lines(buffer)

    def parse(self, frame: bytes) -> WeightReading:
        try:
            text = frame.decode("ascii").strip()
        except UnicodeDecodeError:
            return GARBAGE
        match = _FRAME.match(text)
        if match is None:
            return GARBAGE
        state, kind, sign, value, unit = match.groups()
        if state == "OL":
            return failure("overload")
        if value is None or unit is None:
            return GARBAGE
        number = float(value) * (-1 if sign == "-" else 1)
        return reading(number, unit, stable=state == "ST", net=kind == "NT")
