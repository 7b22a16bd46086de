"""Mettler Toledo MT-SICS scale over a serial line (pyserial).

Options (agent config ``devices.scale.options``):
  port      serial device, preferably /dev/serial/by-id/... (required)
  any ScaleProfile field (poll_interval_ms, min_change_g, serial ...) overrides the profile.

One thread owns the port: it polls with ``SI`` (or ``S``), sends queued ``Z``/``T`` commands
between polls, reports only stable readings that changed by ``min_change_g`` and each error
once per transition, and reopens the port every second while it is gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from edge.core.mtsics import parse_response, parse_weight
from edge.core.readings import ScaleError, WeightReading
from edge.devices.base import PeripheralState, Scale
from edge.profiles import ScaleProfile

log = structlog.get_logger(__name__)

RETRY_S = 1.0
_OFFLINE = WeightReading(grams=None, stable=False, error="offline")


class MtSicsScale(Scale):
    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name)
        self.port = port
        self.profile = profile
        self._callbacks: list[Callable[[WeightReading], None]] = []
        self._commands: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: Any = None
        self._state: PeripheralState = "offline"
        self._detail: str | None = "not opened"
        self._last_grams: float | None = None
        self._last_error: ScaleError | None = None
        self._in_motion = False
        self._net = False
        self._timeouts = 0
        self.serial_number: str | None = None

    # --- port ----------------------------------------------------------------------------

    def open(self) -> None:
        import serial  # noqa: F401  (lazy: only hosts with a scale need pyserial)

        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"scale-{self.name}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_port()
        self._state, self._detail = "offline", "closed"

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> tuple[PeripheralState, str | None]:
        return self._state, self._detail

    def on_reading(self, callback: Callable[[WeightReading], None]) -> None:
        self._callbacks.append(callback)

    def zero(self) -> None:
        self._commands.put("Z")

    def tare(self) -> None:
        self._commands.put("T")

    def _open_port(self) -> bool:
        import serial

        s = self.profile.serial
        try:
            self._serial = serial.Serial(
                self.port, baudrate=s.baud, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=self.profile.response_timeout_ms / 1000,
                write_timeout=self.profile.response_timeout_ms / 1000, exclusive=True)
        except (OSError, ValueError) as exc:  # SerialException is an OSError
            self._set_offline(f"cannot open {self.port}: {exc}")
            return False
        self._serial.reset_input_buffer()
        self._timeouts = 0
        log.info("scale_port_open", scale=self.name, port=self.port)
        return True

    def _close_port(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(OSError):
                self._serial.close()
            self._serial = None

    # --- polling thread ------------------------------------------------------------------

    def _run(self) -> None:
        poll = self.profile.poll_command
        interval = self.profile.poll_interval_ms / 1000
        while not self._stop.is_set():
            if self._serial is None and not self._open_port():
                self._stop.wait(RETRY_S)
                continue
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                command = poll
            try:
                self._transact(command)
            except Exception as exc:  # OSError, SerialException, termios.error (EIO) ...
                log.warning("scale_port_lost", scale=self.name, port=self.port, error=str(exc))
                self._close_port()
                self._set_offline(f"port lost: {exc}")
                self._stop.wait(RETRY_S)
                continue
            if command == poll:
                self._stop.wait(interval)

    def _transact(self, command: str) -> None:
        eol = self.profile.serial.eol.encode()
        self._serial.write(command.encode("ascii") + eol)
        self._serial.flush()
        deadline = time.monotonic() + self.profile.response_timeout_ms / 1000
        while time.monotonic() < deadline and not self._stop.is_set():
            line = self._serial.readline()
            if not line:
                continue
            if not line.endswith(b"\n"):
                line += self._serial.readline()
            answer = parse_response(line)
            if answer.command not in (command, "ES", "ET", "EL", "I4"):
                self._handle(parse_weight(line))  # unsolicited or unreadable line
                continue
            self._answered()
            self._dispatch(command, line)
            return
        self._timeouts += 1
        if self._timeouts >= self.profile.offline_after_timeouts and self._state != "offline":
            self._set_offline(f"no answer to {command} from {self.port}")

    def _answered(self) -> None:
        self._timeouts = 0
        if self._state != "ok":
            log.info("scale_online", scale=self.name, port=self.port)
            self._state, self._detail = "ok", None
            self._last_error = None
            self._last_grams = None  # report the weight again after coming back

    def _dispatch(self, command: str, line: bytes) -> None:
        answer = parse_response(line)
        if command in ("S", "SI"):
            reading = parse_weight(line)
            self._handle(dataclasses.replace(reading, net=reading.net or self._net))
        elif command in ("Z", "T"):
            if answer.ok and answer.status in ("A", "S"):
                self._net = command == "T" and self._tare_value(answer.args) != 0.0
            log.info("scale_command", scale=self.name, command=command,
                     ok=answer.ok, error=answer.error)
        elif command == "I4" and answer.ok:
            self.serial_number = answer.text

    @staticmethod
    def _tare_value(args: tuple[str, ...]) -> float:
        try:
            return float(args[0])
        except (IndexError, ValueError):
            return 0.0

    # --- debounce ------------------------------------------------------------------------

    def _handle(self, reading: WeightReading) -> None:
        if reading.error is None and reading.grams is not None:
            changed = (self._last_error is not None or self._last_grams is None
                       or abs(reading.grams - self._last_grams) >= self.profile.min_change_g
                       or (self._in_motion and self.profile.emit_motion))
            self._last_error = None
            self._in_motion = False
            if changed:
                self._last_grams = reading.grams
                self._emit(reading)
        elif reading.error == "motion":
            if self.profile.emit_motion and not self._in_motion:
                self._emit(reading)
            self._in_motion = True
        elif reading.error != self._last_error:
            self._last_error = reading.error
            self._emit(reading)

    def _set_offline(self, detail: str) -> None:
        if self._state != "offline" or self._last_error != "offline":
            self._state, self._detail = "offline", detail
            self._last_error = "offline"
            self._emit(_OFFLINE)

    def _emit(self, reading: WeightReading) -> None:
        log.debug("scale_reading", scale=self.name, grams=reading.grams, error=reading.error)
        for callback in list(self._callbacks):
            try:
                callback(reading)
            except Exception:
                log.exception("scale_callback_failed", scale=self.name)
