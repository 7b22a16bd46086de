"""Ports for the hardware an agent drives. One adapter per driver implements each.

Adapters report inputs through callbacks that may be called from any thread; the agent
puts them on its own queue. Adapters import their hardware library lazily (in ``open``), so
a pack bench without GPIO never imports gpiozero.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Literal

from edge.core.readings import ButtonPress, WeightReading
from edge.wire.messages import CourierLabel, LabelData, PrinterInfo

PeripheralState = Literal["ok", "offline", "error"]


class Peripheral(ABC):
    kind: Literal["scanner", "scale", "lights", "printer"]

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def open(self) -> None:
        """Open the device and start any reader thread."""

    @abstractmethod
    def close(self) -> None:
        """Stop reader threads and release the device."""

    @abstractmethod
    def state(self) -> tuple[PeripheralState, str | None]:
        """Current state and a short detail for the peripheral status message."""

    def alive(self) -> bool:
        """False when the driver's own loop died (the systemd watchdog then stops feeding).

        A device that is merely unplugged is alive: its loop is retrying. Drivers without a
        thread of their own are always alive.
        """
        return True


class Scanner(Peripheral):
    kind = "scanner"

    @abstractmethod
    def on_scan(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(barcode)`` for every complete barcode read."""


class Scale(Peripheral):
    kind = "scale"

    @abstractmethod
    def on_reading(self, callback: Callable[[WeightReading], None]) -> None:
        """Call ``callback`` with each stable, changed reading and with each error reading."""

    @abstractmethod
    def zero(self) -> None: ...

    @abstractmethod
    def tare(self) -> None: ...


class Lights(Peripheral):
    kind = "lights"

    @property
    @abstractmethod
    def slots(self) -> list[str]:
        """Slot names of this light bar (each the location code it sits on)."""

    @abstractmethod
    def show(self, slot: str, colour: str, qty: int | None = None, blink: bool = False) -> None:
        """Light ``slot`` in ``colour``; idempotent."""

    @abstractmethod
    def clear(self, slot: str) -> None: ...

    @abstractmethod
    def clear_all(self) -> None: ...

    @abstractmethod
    def on_button(self, callback: Callable[[ButtonPress], None]) -> None: ...


class Printer(Peripheral):
    kind = "printer"

    @abstractmethod
    def print_label(self, label: LabelData, courier_label: CourierLabel | None = None
                    ) -> str | None:
        """Print one label: ``courier_label`` where this printer can print it, else the
        ``label`` layout. Returns None, or why the courier's label was not printed (the
        layout was); raise edge.errors.PrinterError when nothing could be printed."""

    def info(self) -> PrinterInfo | None:
        """Language, dpi and width for the birth message (None: the hub won't convert)."""
        return None
