"""USB HID (keyboard wedge) barcode scanner read through evdev.

Options (agent config ``devices.scanner.options``):
  path            /dev/input/by-id/...-event-kbd (preferred: stable across re-plugs)
  vendor_product  "05e0:1200" to find the device when no path is given (else the profile's
                  usb_vendor_id/usb_product_id)
  any ScannerProfile field (keyboard_layout, terminator ...) overrides the profile.

The reader thread takes events from an ``EventSource``: ``EvdevSource`` for a real device,
``edge.sim.scanner_replay.ScannerReplay`` for the simulator; decoding is the same code.
"""

from __future__ import annotations

import contextlib
import errno
import select
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import structlog

from edge.core.scanner_keys import KeyDecoder
from edge.devices.base import Scanner
from edge.devices.threaded import RETRY_S, ThreadedPeripheral
from edge.profiles import ScannerProfile

log = structlog.get_logger(__name__)

EV_KEY = 1  # linux/input-event-codes.h; the same number as evdev.ecodes.EV_KEY


class EventSource(Protocol):
    """Where input events come from. ``open`` and ``events`` raise OSError when the device
    is absent or goes away (errno ENODEV on unplug)."""

    def open(self) -> None: ...

    def events(self, stop: threading.Event) -> Iterator[Any]:
        """Yield evdev.InputEvent objects until ``stop`` is set."""
        ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class EvdevSource:
    """A real /dev/input device, grabbed so its keys never reach a console."""

    def __init__(self, path: str | None = None, vendor: int | None = None,
                 product: int | None = None) -> None:
        if path is None and (vendor is None or product is None):
            raise ValueError("a scanner needs a path or a vendor:product")
        self.path, self.vendor, self.product = path, vendor, product
        self._device: Any = None

    def describe(self) -> str:
        if self.path:
            return self.path
        return f"{self.vendor:04x}:{self.product:04x}"

    def _find(self) -> str:
        import evdev

        if self.path:
            return self.path
        for candidate in evdev.list_devices():
            dev = evdev.InputDevice(candidate)
            try:
                if (dev.info.vendor, dev.info.product) == (self.vendor, self.product) and \
                        evdev.ecodes.EV_KEY in dev.capabilities():
                    return str(candidate)
            finally:
                dev.close()
        raise OSError(errno.ENODEV, f"no input device {self.describe()}")

    def open(self) -> None:
        import evdev

        self._device = evdev.InputDevice(self._find())
        try:
            self._device.grab()
        except OSError:
            self._device.close()
            self._device = None
            raise

    def events(self, stop: threading.Event) -> Iterator[Any]:
        device = self._device
        while not stop.is_set():
            ready, _, _ = select.select([device.fd], [], [], 0.2)
            if ready:
                yield from device.read()

    def close(self) -> None:
        if self._device is not None:
            with contextlib.suppress(OSError):  # already gone
                self._device.ungrab()
            self._device.close()
            self._device = None


class EvdevScanner(ThreadedPeripheral, Scanner):
    def __init__(self, name: str, source: EventSource, profile: ScannerProfile) -> None:
        super().__init__(name)
        self.source = source
        self.profile = profile
        self.decoder = KeyDecoder(
            layout=profile.keyboard_layout, terminator=profile.terminator,
            inter_key_timeout_s=profile.inter_key_timeout_ms / 1000,
            max_length=profile.max_length, group_separator=profile.group_separator,
            gs_sent_as=profile.gs_sent_as)
        self._callbacks: list[Callable[[str], None]] = []
        self.scans = 0

    def _require_library(self) -> None:
        import evdev  # noqa: F401  (fail here, not at import, on hosts without evdev)

    def on_scan(self, callback: Callable[[str], None]) -> None:
        self._callbacks.append(callback)

    def _run(self) -> None:
        where = self.source.describe()
        while not self._stop.is_set():
            try:
                self.source.open()
            except OSError as exc:
                if self._state != "offline" or self._detail != str(exc):
                    log.warning("scanner_unavailable", scanner=self.name, source=where,
                                error=str(exc))
                self._state, self._detail = "offline", str(exc)
                self._stop.wait(RETRY_S)
                continue
            self._state, self._detail = "ok", None
            self.decoder.reset()
            log.info("scanner_open", scanner=self.name, source=where)
            try:
                for event in self.source.events(self._stop):
                    if event.type == EV_KEY:
                        self._feed(event)
            except OSError as exc:
                unplugged = exc.errno == errno.ENODEV
                log.warning("scanner_lost", scanner=self.name, source=where,
                            unplugged=unplugged, error=str(exc))
                self._state = "offline"
                self._detail = "unplugged" if unplugged else str(exc)
            finally:
                self.source.close()

    def _feed(self, event: Any) -> None:
        code = self.decoder.feed(event.code, event.value, event.timestamp())
        if code is None:
            return
        self.scans += 1
        log.debug("scanner_read", scanner=self.name, barcode=code)
        for callback in list(self._callbacks):
            try:
                callback(code)
            except Exception:
                log.exception("scanner_callback_failed", scanner=self.name)
