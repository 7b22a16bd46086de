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
import time
from typing import Any

import structlog

from edge.core.mtsics import parse_response, parse_weight
from edge.core.readings import WeightReading
from edge.devices.threaded import RETRY_S, ThreadedScale
from edge.profiles import ScaleProfile

log = structlog.get_logger(__name__)


class MtSicsScale(ThreadedScale):
    def __init__(self, name: str, port: str, profile: ScaleProfile) -> None:
        super().__init__(name, profile.min_change_g, profile.emit_motion)
        self.port = port
        self.profile = profile
        self._commands: queue.Queue[str] = queue.Queue()
        self._serial: Any = None
        self._net = False
        self._timeouts = 0
        self.serial_number: str | None = None

    def _require_library(self) -> None:
        import serial  # noqa: F401  (only hosts with a scale need pyserial)

    def _release(self) -> None:
        self._close_port()

    def zero(self) -> None:
        self._commands.put("Z")

    def tare(self) -> None:
        self._commands.put("T")

    # --- port ----------------------------------------------------------------------------

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
            self._filter.reset()  # report the weight again after coming back

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

    def _handle(self, reading: WeightReading) -> None:
        if self._filter.accept(reading):
            self._emit(reading)
