"""What every serial scale dialect provides to the one generic serial driver (pure).

A dialect knows its requests (poll, zero, tare, probe), how to cut frames out of the byte
stream and how to read one frame. The driver owns the port, timing and debounce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from edge.core.readings import ScaleError, WeightReading

GRAMS_PER_UNIT: dict[str, float] = {
    "g": 1.0,
    "kg": 1000.0,
    "mg": 0.001,
    "lb": 453.59237,
    "oz": 28.349523125,
    "ct": 0.2,
}

GARBAGE = WeightReading(grams=None, stable=False, error="garbage")


def to_grams(value: float, unit: str) -> float | None:
    factor = GRAMS_PER_UNIT.get(unit.strip().lower())
    return None if factor is None else round(value * factor, 6) + 0.0


def reading(value: float, unit: str, *, stable: bool, net: bool = False,
            error: ScaleError | None = None) -> WeightReading:
    """A reading in grams; an unknown unit makes it ``garbage``."""
    grams = to_grams(value, unit)
    if grams is None:
        return WeightReading(grams=None, stable=False, value=value, unit=unit, error="garbage")
    if error is None and not stable:
        error = "motion"
    return WeightReading(grams=grams, stable=stable and error is None, value=value,
                         unit=unit.lower(), net=net, error=error)


def failure(error: ScaleError) -> WeightReading:
    return WeightReading(grams=None, stable=False, error=error)


@dataclass(frozen=True)
class Probe:
    """Bytes sent when the port opens and bytes the answer must contain."""

    request: bytes
    expect: bytes


class Dialect(Protocol):
    name: str
    poll: bytes | None           # None: the scale streams by itself
    zero_request: bytes | None   # None: the dialect has no zero command
    tare_request: bytes | None
    probe: Probe | None
    silence_is_offline: bool     # False for scales that only answer on a new weight

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        """Complete frames in ``buffer`` and the unfinished rest."""
        ...

    def parse(self, frame: bytes) -> WeightReading:
        """One frame -> a reading; never raises (unreadable frames give ``garbage``).

        A frame that carries neither weight nor error (an acknowledgement) gives
        ``WeightReading(grams=None, stable=False)``.
        """
        ...


_CONTROL = bytes(range(0x20))


def split_lines(buffer: bytes, limit: int = 256) -> tuple[list[bytes], bytes]:
    """Cut CR / LF terminated lines; an over-long run without terminator is garbage.

    Stray control bytes at either end of a line (a lone ETX from noise) are dropped so
    they do not spoil the frame that follows.
    """
    frames: list[bytes] = []
    while True:
        idx = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0), default=-1)
        if idx < 0:
            break
        line, buffer = buffer[:idx].strip(_CONTROL), buffer[idx + 1:]
        if line.strip():
            frames.append(line)
    if len(buffer) > limit:
        frames.append(buffer)
        buffer = b""
    return frames, buffer


@dataclass
class ReadingFilter:
    """Debounce: pass stable readings that moved by ``min_change_g`` and each error once.

    The first stable reading after motion is always passed: a parcel swapped for one of the
    same weight (two identical orders packed back to back) is a new weighing even though
    the figure barely moved. Motion itself is passed once per movement when ``emit_motion``
    is set.
    """

    min_change_g: float = 2.0
    emit_motion: bool = False
    last_grams: float | None = None
    last_error: ScaleError | None = None
    in_motion: bool = field(default=False)

    def reset(self) -> None:
        self.last_grams = None
        self.last_error = None
        self.in_motion = False

    def accept(self, r: WeightReading) -> bool:
        moving = r.error == "motion" or (r.error is None and r.grams is not None
                                         and not r.stable)
        if moving:  # some dialects send a moving weight as a figure with a motion flag
            first = not self.in_motion
            self.in_motion = True
            return self.emit_motion and first
        if r.error is None and r.grams is not None:
            changed = (self.last_error is not None or self.last_grams is None
                       or abs(r.grams - self.last_grams) >= self.min_change_g
                       or self.in_motion)
            self.last_error = None
            self.in_motion = False
            if changed:
                self.last_grams = r.grams
            return changed
        if r.error is None:  # an acknowledgement frame: nothing to report
            return False
        if r.error != self.last_error:
            self.last_error = r.error
            return True
        return False
