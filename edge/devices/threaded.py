"""The reader-thread lifecycle the scanner and scale drivers share.

Each of these drivers owns its device from one daemon thread: ``open`` starts it, the thread
(re)opens the device, reads it and keeps the peripheral state current until ``close`` stops
it; a device that goes away is retried every ``RETRY_S`` without stopping the thread.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Callable

import structlog

from edge.core.readings import WeightReading
from edge.core.scale_dialect import ReadingFilter
from edge.devices.base import Peripheral, PeripheralState, Scale

log = structlog.get_logger(__name__)

RETRY_S = 1.0
OFFLINE = WeightReading(grams=None, stable=False, error="offline")


class ThreadedPeripheral(Peripheral):
    """A driver whose device is read by one thread running ``_run`` until ``close``.

    ``_run`` loops until ``self._stop`` is set and keeps ``_state``/``_detail`` current;
    ``_require_library`` imports the hardware library (so a host without it fails at
    ``open``, not at import); ``_release`` closes the device once the thread has stopped.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: PeripheralState = "offline"
        self._detail: str | None = "not opened"

    def open(self) -> None:
        self._require_library()
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.kind}-{self.name}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._release()
        self._state, self._detail = "offline", "closed"

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> tuple[PeripheralState, str | None]:
        return self._state, self._detail

    def _require_library(self) -> None:
        """Import the hardware library the thread will use (none by default)."""

    def _release(self) -> None:
        """Close the device after the thread stopped (nothing by default)."""

    @abstractmethod
    def _run(self) -> None:
        """Read the device until ``self._stop`` is set."""


class ThreadedScale(ThreadedPeripheral, Scale):
    """A threaded scale driver: reading callbacks, debounce and the offline transition."""

    def __init__(self, name: str, min_change_g: float, emit_motion: bool) -> None:
        super().__init__(name)
        self._callbacks: list[Callable[[WeightReading], None]] = []
        self._filter = ReadingFilter(min_change_g, emit_motion)

    def on_reading(self, callback: Callable[[WeightReading], None]) -> None:
        self._callbacks.append(callback)

    def _set_offline(self, detail: str) -> None:
        """State ``offline`` with ``detail``; the offline reading is reported once."""
        first = self._state != "offline" or self._filter.last_error != "offline"
        self._state, self._detail = "offline", detail
        if first:
            self._filter.last_error = "offline"
            self._emit(OFFLINE)

    def _emit(self, reading: WeightReading) -> None:
        log.debug("scale_reading", scale=self.name, grams=reading.grams, error=reading.error)
        for callback in list(self._callbacks):
            try:
                callback(reading)
            except Exception:
                log.exception("scale_callback_failed", scale=self.name)
