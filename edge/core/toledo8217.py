"""Mettler Toledo 8217 ("W" protocol) frames (pure).

Ask ``W`` (no terminator). A stable weight comes back as ``STX <spaces> 1.234 CR`` (an
optional unit and ``N`` for net may follow the number); otherwise a status frame
``STX ? <c> CR`` whose status character has, LSB first: motion, over capacity, under zero,
outside zero range, centre of zero, net, bad command. The probe ``Ehello`` is echoed as
``STX E CR hello``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.core.readings import ScaleError, WeightReading
from edge.core.scale_dialect import GARBAGE, Probe, failure, reading

STX, CR = b"\x02", b"\r"
PROBE = Probe(b"Ehello", b"\x02E\rhello")
MOTION, OVER, UNDER, OUT_OF_ZERO, CENTRE_ZERO, NET, BAD_COMMAND = (1 << i for i in range(7))
_WEIGHT = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?)\s*(lb|kg|oz|g)?\s*(N)?\s*$", re.IGNORECASE)
# Errors in the order they are reported when several bits are set.
_STATUS_ERRORS: tuple[tuple[int, ScaleError], ...] = (
    (BAD_COMMAND, "syntax"), (OVER, "overload"), (UNDER, "underload"),
    (OUT_OF_ZERO, "zero_range"), (MOTION, "motion"))


def status_error(status: int) -> ScaleError | None:
    for bit, error in _STATUS_ERRORS:
        if status & bit:
            return error
    return None


def format_weight(value: float, decimals: int = 3, net: bool = False) -> bytes:
    return STX + f"{value:>8.{decimals}f}{'N' if net else ''}".encode() + CR


def format_status(status: int) -> bytes:
    return STX + b"?" + bytes([status & 0x7F]) + CR


@dataclass(frozen=True)
class Toledo8217:
    unit: str = "lb"
    name: str = "toledo_8217"
    poll: bytes | None = b"W"
    zero_request: bytes | None = None
    tare_request: bytes | None = None
    probe: Probe | None = PROBE
    silence_is_offline: bool = True

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        frames: list[bytes] = []
        while buffer:
            start = buffer.find(STX)
            if start < 0:
                if len(buffer) > 64:
                    frames.append(buffer)
                    buffer = b""
                break
            if start > 0:  # bytes before STX are line noise: report them
                frames.append(buffer[:start])
                buffer = buffer[start:]
            if buffer[1:2] == b"?":  # fixed length: the status byte itself may be a CR
                if len(buffer) < 4:
                    break
                frames.append(buffer[:4])
                buffer = buffer[4:]
                continue
            end = buffer.find(CR)
            if end < 0:
                break
            frame, buffer = buffer[:end + 1], buffer[end + 1:]
            if frame == b"\x02E\r" and buffer.startswith(b"hello"):
                frame, buffer = frame + b"hello", buffer[5:]
            frames.append(frame)
        return frames, buffer

    def parse(self, frame: bytes) -> WeightReading:
        if not (frame.startswith(STX) and frame.endswith((CR, b"hello"))):
            return GARBAGE
        if frame.startswith(b"\x02?"):
            if len(frame) != 4 or not frame.endswith(CR):
                return GARBAGE
            error = status_error(frame[2] & 0x7F)
            return failure(error) if error else WeightReading(grams=None, stable=False)
        body = frame[1:].rstrip(b"\r")
        if body.startswith(b"E\rhello") or body == b"E":
            return WeightReading(grams=None, stable=False)  # probe echo
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            return GARBAGE
        match = _WEIGHT.match(text)
        if match is None:
            return GARBAGE
        return reading(float(match.group(1)), match.group(2) or self.unit, stable=True,
                       net=match.group(3) is not None)
