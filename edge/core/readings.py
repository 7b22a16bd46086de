"""Device-independent readings produced by the drivers (pure values, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ScaleError = Literal["motion", "overload", "underload", "not_executable", "syntax",
                     "transmission", "logical", "garbage", "offline", "zero_range", "hardware"]


@dataclass(frozen=True)
class WeightReading:
    """One answer from a scale, whatever its dialect.

    ``grams`` is None when the frame carried no usable weight (``error`` says why).
    """

    grams: float | None
    stable: bool
    value: float | None = None
    unit: str | None = None
    net: bool = False
    error: ScaleError | None = None


ButtonKind = Literal["confirm", "short"]


@dataclass(frozen=True)
class ButtonPress:
    slot: str
    kind: ButtonKind
