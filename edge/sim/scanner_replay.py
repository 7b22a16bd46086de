"""A simulated keyboard-wedge scanner: real evdev.InputEvent objects, as the kernel sends.

``ScannerReplay`` is an ``EventSource`` for ``EvdevScanner``: the real driver and decoder
run on the events it produces. Per character it sends what a scanner sends: modifier down,
EV_MSC/MSC_SCAN + key down + SYN, EV_MSC + key up + SYN, modifier up; then the terminator.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from edge.core.scanner_keys import (
    KEY_LEFTCTRL,
    KEY_LEFTSHIFT,
    KEY_RIGHTALT,
    TERMINATOR_KEYS,
    Keystroke,
    Layout,
    Terminator,
    keystroke_for,
)
from edge.devices.evdev_scanner import EvdevScanner
from edge.profiles import ScannerProfile

HID_USAGE_BASE = 0x70000  # MSC_SCAN value: HID usage page 7 (keyboard) + usage id


class ScannerReplay:
    def __init__(self, layout: Layout = "us", terminator: Terminator = "ENTER",
                 key_interval_s: float = 0.002, gs_sent_as: str = "\x1d") -> None:
        self.layout = layout
        self.gs_sent_as = gs_sent_as  # what the scanner types for a GS1 group separator
        self.terminator = terminator
        self.key_interval_s = key_interval_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._plugged = True
        self._unplug_pending = False

    # --- what a person does --------------------------------------------------------------

    def type_barcode(self, code: str) -> None:
        """Scan ``code``: inject its key events (thread-safe)."""
        from evdev import InputEvent, ecodes

        typed = code.replace("\x1d", self.gs_sent_as)
        strokes = [keystroke_for(ch, self.layout) for ch in typed]
        strokes.append(Keystroke(TERMINATOR_KEYS[self.terminator]))
        with self._lock:
            t = time.time()
            events: list[InputEvent] = []

            def emit(etype: int, ecode: int, value: int) -> None:
                sec = int(t)
                events.append(InputEvent(sec, int((t - sec) * 1_000_000), etype, ecode, value))

            def key(code_: int, value: int) -> None:
                emit(ecodes.EV_MSC, ecodes.MSC_SCAN, HID_USAGE_BASE + code_)
                emit(ecodes.EV_KEY, code_, value)
                emit(ecodes.EV_SYN, ecodes.SYN_REPORT, 0)

            for stroke in strokes:
                mods = [m for m, on in ((KEY_LEFTSHIFT, stroke.shift), (KEY_RIGHTALT,
                        stroke.altgr), (KEY_LEFTCTRL, stroke.ctrl)) if on]
                for mod in mods:
                    key(mod, 1)
                key(stroke.code, 1)
                key(stroke.code, 0)
                for mod in mods:
                    key(mod, 0)
                t += self.key_interval_s
            for event in events:
                self._queue.put(event)

    def inject(self, event: Any) -> None:
        """Inject one raw event (autorepeat, stray keys ...)."""
        self._queue.put(event)

    def unplug(self) -> None:
        """The scanner's cable is pulled: reads fail with ENODEV until ``replug``."""
        with self._lock:
            self._plugged = False
            self._unplug_pending = True

    def replug(self) -> None:
        with self._lock:
            self._plugged = True

    def drain(self, timeout: float = 2.0) -> bool:
        """Wait until the driver has taken every injected event."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.005)
        return False

    # --- EventSource ---------------------------------------------------------------------

    def describe(self) -> str:
        return f"replay:{self.layout}"

    def open(self) -> None:
        with self._lock:
            if not self._plugged:
                raise OSError(errno.ENOENT, "No such file or directory (scanner unplugged)")

    def events(self, stop: threading.Event) -> Iterator[Any]:
        while not stop.is_set():
            with self._lock:
                if self._unplug_pending:
                    self._unplug_pending = False
                    raise OSError(errno.ENODEV, "No such device")
            try:
                event = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            try:
                yield event
            finally:
                self._queue.task_done()

    def close(self) -> None:
        """Nothing to release: the replay outlives driver reconnects."""


def simulated_scanner(name: str, profile: ScannerProfile) -> tuple[EvdevScanner, ScannerReplay]:
    """The real EvdevScanner reading from a replay that types in the profile's layout."""
    replay = ScannerReplay(layout=profile.keyboard_layout, terminator=profile.terminator,
                           gs_sent_as=profile.gs_sent_as)
    return EvdevScanner(name, replay, profile), replay
