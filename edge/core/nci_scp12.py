"""NCI / Avery Weigh-Tronix / Brecknell / Salter SCP-12 frames (pure).

``W CR`` asks the weight: ``LF [sign] xxxxxx UU CR h1 h2 ETX`` (units are the 2 characters
before CR). ``S CR`` asks the status: ``LF h1 h2 CR ETX``. An unknown command gives
``LF ? CR``. Status bytes use their low 4 bits: byte 1 motion, at zero, RAM error, EEPROM
error; byte 2 under capacity, over capacity, ROM error, calibration error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.core.readings import ScaleError, WeightReading
from edge.core.scale_dialect import GARBAGE, Probe, failure, reading

LF, CR, ETX = b"\n", b"\r", b"\x03"
MOTION, AT_ZERO, RAM_ERROR, EEPROM_ERROR = 1, 2, 4, 8
UNDER, OVER, ROM_ERROR, CALIBRATION_ERROR = 1, 2, 4, 8
UNKNOWN_COMMAND = b"\n?\r"
_WEIGHT = re.compile(r"^([+-]?)\s*(\d+(?:\.\d*)?)\s*([A-Za-z ]{2})$")


def status_error(byte1: int, byte2: int) -> ScaleError | None:
    if byte1 & (RAM_ERROR | EEPROM_ERROR) or byte2 & (ROM_ERROR | CALIBRATION_ERROR):
        return "hardware"
    if byte2 & OVER:
        return "overload"
    if byte2 & UNDER:
        return "underload"
    if byte1 & MOTION:
        return "motion"
    return None


def status_chars(byte1: int, byte2: int) -> bytes:
    return bytes([0x30 | (byte1 & 0x0F), 0x30 | (byte2 & 0x0F)])


def format_weight(value: float, unit: str = "lb", byte1: int = 0, byte2: int = 0,
                  decimals: int = 2) -> bytes:
    sign = "-" if value < 0 else " "
    field = f"{abs(value):.{decimals}f}".rjust(6)
    return LF + f"{sign}{field}{unit:>2}".encode() + CR + status_chars(byte1, byte2) + ETX


def format_status(byte1: int = 0, byte2: int = 0) -> bytes:
    return LF + status_chars(byte1, byte2) + CR + ETX


@dataclass(frozen=True)
class NciScp12:
    name: str = "nci_scp12"
    poll: bytes | None = b"W\r"
    zero_request: bytes | None = b"Z\r"
    tare_request: bytes | None = None
    probe: Probe | None = None
    silence_is_offline: bool = True

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        frames: list[bytes] = []
        while buffer:
            start = buffer.find(LF)
            if start < 0:
                if len(buffer) > 64:
                    frames.append(buffer)
                    buffer = b""
                break
            if start > 0:
                frames.append(buffer[:start])  # noise before a frame
                buffer = buffer[start:]
            if buffer.startswith(UNKNOWN_COMMAND):
                frames.append(UNKNOWN_COMMAND)
                buffer = buffer[3:]
                continue
            end = buffer.find(ETX)
            if end < 0:
                nxt = buffer.find(LF, 1)
                if nxt > 0:  # a new frame began: the unfinished one is garbage
                    frames.append(buffer[:nxt])
                    buffer = buffer[nxt:]
                    continue
                if len(buffer) > 64:
                    frames.append(buffer)
                    buffer = b""
                break
            frames.append(buffer[:end + 1])
            buffer = buffer[end + 1:]
        return frames, buffer

    def parse(self, frame: bytes) -> WeightReading:
        if frame == UNKNOWN_COMMAND:
            return failure("syntax")
        if not (frame.startswith(LF) and frame.endswith(ETX)):
            return GARBAGE
        body, sep, status = frame[1:-1].partition(CR)
        if not sep:
            return GARBAGE
        if not status and len(body) == 2:  # status answer: LF h1 h2 CR ETX
            status, body = body, b""
        if len(status) != 2 or any(b & 0xF0 != 0x30 for b in status):
            return GARBAGE
        error = status_error(status[0] & 0x0F, status[1] & 0x0F)
        if not body:
            return failure(error) if error else WeightReading(grams=None, stable=False)
        try:
            match = _WEIGHT.match(body.decode("ascii"))
        except UnicodeDecodeError:
            return GARBAGE
        if match is None:
            return failure(error) if error and error != "motion" else GARBAGE
        value = float(match.group(2)) * (-1 if match.group(1) == "-" else 1)
        stable = error is None
        return reading(value, match.group(3).strip(), stable=stable,
                       error=None if error == "motion" else error)
