"""A USB HID POS scale simulated behind a named pipe that stands in for /dev/hidraw*.

It writes the same 6-byte input reports a Dymo-style scale sends, about every 50 ms like
the real device, so the real HidPosScale driver reads them with ``os.read``. ``unplug``
closes and removes the pipe (the driver sees end of file), ``replug`` brings it back.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path

from edge.core import hid_pos_scale as hid


class HidScaleSimulator:
    def __init__(self, settle_s: float = 0.3, capacity_g: float = 10_000.0,
                 interval_s: float = 0.05) -> None:
        self.settle_s = settle_s
        self.capacity_g = capacity_g
        self.interval_s = interval_s
        self._tmp = tempfile.TemporaryDirectory(prefix="fulfil-hid-")
        self.path = str(Path(self._tmp.name) / "hidraw-sim")
        self._load = 0
        self._settle_until = 0.0
        self._overload = False
        self._extra: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.replug()

    def place(self, grams: float) -> None:
        with self._lock:
            self._load, self._overload = round(grams), False
            self._settle_until = time.monotonic() + self.settle_s

    def remove(self) -> None:
        self.place(0)

    def overload(self) -> None:
        with self._lock:
            self._overload = True

    def inject(self, data: bytes) -> None:
        """Raw bytes on the wire before the next report (noise, a short report ...)."""
        with self._lock:
            self._extra.append(data)

    def report(self) -> bytes:
        with self._lock:
            if self._overload or self._load > self.capacity_g:
                return hid.format_report(hid.OVER_WEIGHT, 0)
            if time.monotonic() < self._settle_until:
                return hid.format_report(hid.MOTION, self._load // 2)
            if self._load == 0:
                return hid.format_report(hid.ZERO, 0)
            return hid.format_report(hid.STABLE, self._load)

    def replug(self) -> None:
        if self._thread is not None:
            return
        with contextlib.suppress(FileExistsError):
            os.mkfifo(self.path)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hid-scale-sim", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=2)
        self._thread = None
        Path(self.path).unlink(missing_ok=True)

    def close(self) -> None:
        self.unplug()
        self._tmp.cleanup()

    def _run(self) -> None:
        # O_RDWR: the pipe always has a writer, so the driver sees end of file only when
        # the simulated device goes away (close on unplug), as with a real hidraw node.
        fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        try:
            while not self._stop.is_set():
                with self._lock:
                    extra, self._extra = self._extra, []
                with contextlib.suppress(BlockingIOError):  # nobody reads: drop, as USB does
                    for data in extra:
                        os.write(fd, data)
                    os.write(fd, self.report())
                self._stop.wait(self.interval_s)
        finally:
            os.close(fd)
