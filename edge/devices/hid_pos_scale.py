"""USB HID point-of-sale scale read from /dev/hidraw* (no extra library: plain reads).

Options: ``path`` (required; /dev/hidraw0 or a stable udev symlink), any profile field.
A reader thread waits for reports with select, parses each 6-byte report
(edge.core.hid_pos_scale), reports stable changed readings and each error once, and
reopens the node every second after an unplug (ENODEV on read, or end of file).
"""

from __future__ import annotations

import contextlib
import os
import select

import structlog

from edge.core.hid_pos_scale import parse_report, split_reports
from edge.devices.threaded import RETRY_S, ThreadedScale
from edge.profiles import ScaleProfile

log = structlog.get_logger(__name__)


class HidPosScale(ThreadedScale):
    def __init__(self, name: str, path: str, profile: ScaleProfile) -> None:
        super().__init__(name, profile.min_change_g, profile.emit_motion)
        self.path = path
        self.profile = profile
        self._fd = -1
        self._buffer = b""
        self.reports = 0

    def _release(self) -> None:
        self._close_fd()

    def zero(self) -> None:
        log.warning("scale_command_unsupported", scale=self.name, command="zero",
                    dialect="hid_pos")

    def tare(self) -> None:
        log.warning("scale_command_unsupported", scale=self.name, command="tare",
                    dialect="hid_pos")

    def _close_fd(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._fd < 0:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
                except OSError as exc:
                    self._set_offline(f"cannot open {self.path}: {exc.strerror}")
                    self._stop.wait(RETRY_S)
                    continue
                self._buffer = b""
                log.info("hid_scale_open", scale=self.name, path=self.path)
            ready, _, _ = select.select([self._fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self._fd, 64)
            except BlockingIOError:
                continue
            except OSError as exc:  # ENODEV: unplugged
                chunk, reason = b"", exc.strerror or str(exc)
            else:
                reason = "end of file"
            if not chunk:
                self._close_fd()
                self._set_offline(f"{self.path} gone: {reason}")
                self._stop.wait(RETRY_S)
                continue
            reports, self._buffer = split_reports(self._buffer + chunk)
            for report in reports:
                self._report(report)

    def _report(self, report: bytes) -> None:
        self.reports += 1
        reading = parse_report(report)
        if self._state == "offline":
            self._state, self._detail = "ok", None
            self._filter.reset()
        if reading.error not in (None, "motion"):
            if reading.error == "garbage":
                log.warning("hid_scale_garbage", scale=self.name, report=report.hex())
            self._state, self._detail = "error", reading.error
        elif reading.grams is not None and self._state == "error":
            self._state, self._detail = "ok", None
        if self._filter.accept(reading):
            self._emit(reading)
