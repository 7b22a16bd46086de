"""Serial scales of every dialect but MT-SICS, over pyserial: one driver, one dialect each.

The dialect (edge/core) says what to send and how to read frames; this driver owns the port.
One thread: on open it runs the dialect's probe handshake (Toledo 8217 ``Ehello``), then
polls (or just listens to a streaming scale), sends queued zero/tare requests between polls,
reports stable changed readings and each error once, and reopens a vanished port every
second. While the last frame was an error (overload, under zero, garbage ...) the peripheral
state is ``error`` with the reason, so it shows in the retained peripheral status.

Options (agent config ``devices.scale.options``): ``port`` (required), any profile field.
"""

from __future__ import annotations

import contextlib
import queue
import time
from typing import Any

import structlog

from edge.core.adam import Adam
from edge.core.cas_continuous import CasContinuous
from edge.core.nci_scp12 import NciScp12
from edge.core.scale_dialect import Dialect
from edge.core.toledo8217 import Toledo8217
from edge.devices.threaded import RETRY_S, ThreadedScale
from edge.profiles import ScaleProfile

log = structlog.get_logger(__name__)


def dialect_for(profile: ScaleProfile) -> Dialect:
    """The pure frame codec for a profile's dialect (MT-SICS has its own driver)."""
    unit = profile.unit
    if profile.dialect == "toledo_8217":
        return Toledo8217(unit=unit or "lb")
    if profile.dialect == "nci_scp12":
        return NciScp12()
    if profile.dialect == "cas_continuous":
        return CasContinuous()
    if profile.dialect == "adam":
        return Adam(unit=unit or "kg")
    raise ValueError(f"no serial dialect {profile.dialect!r}")


class SerialScale(ThreadedScale):
    def __init__(self, name: str, port: str, profile: ScaleProfile,
                 dialect: Dialect | None = None) -> None:
        super().__init__(name, profile.min_change_g, profile.emit_motion)
        self.port = port
        self.profile = profile
        self.dialect = dialect or dialect_for(profile)
        self._commands: queue.Queue[bytes] = queue.Queue()
        self._serial: Any = None
        self._buffer = b""
        self._silent = 0
        self.frames = 0  # frames read, for tests and diagnostics

    def _require_library(self) -> None:
        import serial  # noqa: F401  (only hosts with a scale need pyserial)

    def _release(self) -> None:
        self._close_port()

    def zero(self) -> None:
        self._queue(self.dialect.zero_request, "zero")

    def tare(self) -> None:
        self._queue(self.dialect.tare_request, "tare")

    def _queue(self, request: bytes | None, what: str) -> None:
        if request is None:
            log.warning("scale_command_unsupported", scale=self.name, command=what,
                        dialect=self.dialect.name)
            return
        self._commands.put(request)

    # --- port ----------------------------------------------------------------------------

    def _open_port(self) -> bool:
        import serial

        s = self.profile.serial
        timeout = self.profile.response_timeout_ms / 1000
        try:
            self._serial = serial.Serial(
                self.port, baudrate=s.baud, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=min(timeout, 0.05), write_timeout=timeout,
                exclusive=True)
            self._serial.reset_input_buffer()
        except Exception as exc:  # SerialException (OSError), ValueError, termios.error
            self._set_offline(f"cannot open {self.port}: {exc}")
            self._close_port()
            return False
        self._buffer = b""
        self._silent = 0
        log.info("scale_port_open", scale=self.name, port=self.port, dialect=self.dialect.name)
        try:
            probed = self.dialect.probe is None or self._probe()
        except Exception as exc:  # the port went away during the handshake
            probed = False
            self._set_offline(f"probe failed on {self.port}: {exc}")
        if not probed:
            self._close_port()
            return False
        return True

    def _probe(self) -> bool:
        probe = self.dialect.probe
        assert probe is not None
        self._serial.write(probe.request)
        self._serial.flush()
        got = b""
        deadline = time.monotonic() + self.profile.response_timeout_ms / 1000
        while time.monotonic() < deadline and probe.expect not in got:
            got += self._serial.read(64)
        if probe.expect not in got:
            self._set_offline(f"probe {probe.request!r} not answered on {self.port}")
            return False
        self._buffer = got[got.index(probe.expect) + len(probe.expect):]
        return True

    def _close_port(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(OSError):
                self._serial.close()
            self._serial = None

    # --- thread --------------------------------------------------------------------------

    def _run(self) -> None:
        interval = self.profile.poll_interval_ms / 1000
        while not self._stop.is_set():
            if self._serial is None and not self._open_port():
                self._stop.wait(RETRY_S)
                continue
            try:
                try:
                    request: bytes | None = self._commands.get_nowait()
                except queue.Empty:
                    request = self.dialect.poll
                answered = self._exchange(request)
            except Exception as exc:  # OSError, SerialException, termios.error (EIO) ...
                log.warning("scale_port_lost", scale=self.name, port=self.port, error=str(exc))
                self._close_port()
                self._set_offline(f"port lost: {exc}")
                self._stop.wait(RETRY_S)
                continue
            self._count_silence(answered, request)
            if request is not None and request == self.dialect.poll:
                self._stop.wait(interval)

    def _exchange(self, request: bytes | None) -> bool:
        """Send ``request`` (if any) and read until one frame came or the timeout passed."""
        if request is not None:
            self._serial.write(request)
            self._serial.flush()
        deadline = time.monotonic() + self.profile.response_timeout_ms / 1000
        while time.monotonic() < deadline and not self._stop.is_set():
            chunk = self._serial.read(self._serial.in_waiting or 1)
            if not chunk:
                continue
            frames, self._buffer = self.dialect.split(self._buffer + chunk)
            for frame in frames:
                self._frame(frame)
            if frames:
                return True
        return False

    def _count_silence(self, answered: bool, request: bytes | None) -> None:
        if answered:
            self._silent = 0
            return
        if not self.dialect.silence_is_offline:
            if self._state == "offline":  # the port is open: that is all silence can tell
                self._state, self._detail = "ok", None
            return
        self._silent += 1
        if self._silent >= self.profile.offline_after_timeouts and self._state != "offline":
            what = f"no answer to {request!r}" if request else "no data"
            self._set_offline(f"{what} from {self.port}")

    def _frame(self, frame: bytes) -> None:
        self.frames += 1
        reading = self.dialect.parse(frame)
        if self._state == "offline" and reading.error != "garbage":
            log.info("scale_online", scale=self.name, port=self.port)
            self._state, self._detail = "ok", None
            self._filter.reset()  # report the weight again after coming back
        if reading.error not in (None, "motion"):
            if reading.error == "garbage":
                log.warning("scale_garbage", scale=self.name, frame=frame[:64].hex())
            self._state, self._detail = "error", reading.error
        elif reading.grams is not None and self._state == "error":
            self._state, self._detail = "ok", None
        if self._filter.accept(reading):
            self._emit(reading)


class Toledo8217Scale(SerialScale):
    """Mettler Toledo 8217 "W" protocol, with its ``Ehello`` probe on every (re)open."""

    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name, port, profile, Toledo8217(unit=profile.unit or "lb"))


class NciScp12Scale(SerialScale):
    """NCI / Brecknell / Salter SCP-12: ``W``, ``S``, ``Z`` requests."""

    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name, port, profile, NciScp12())


class CasContinuousScale(SerialScale):
    """CAS / A&D continuous output: listens, never asks."""

    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name, port, profile, CasContinuous())


class AdamScale(SerialScale):
    """Adam Equipment ``P`` print request; silence is not offline (see edge.core.adam)."""

    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name, port, profile, Adam(unit=profile.unit or "kg"))


DRIVERS: dict[str, type[SerialScale]] = {
    "toledo_8217": Toledo8217Scale, "nci_scp12": NciScp12Scale,
    "cas_continuous": CasContinuousScale, "adam": AdamScale}
