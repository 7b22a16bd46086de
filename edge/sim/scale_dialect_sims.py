"""Pty scale simulators for the serial dialects other than MT-SICS.

Each writes the real frames of its dialect (weights, motion, overload, under zero) to the
master side of a pty; ``inject_garbage`` adds line noise. The real driver reads the slave.
"""

from __future__ import annotations

import time

from edge.core import adam, cas_continuous, nci_scp12, toledo8217
from edge.core.scale_dialect import GRAMS_PER_UNIT
from edge.profiles import ScaleProfile, SerialSettings
from edge.sim.scale_pty import ScaleSimulator


def pty_line(profile: ScaleProfile) -> SerialSettings:
    """The profile's line as a pty can take it: Linux ptys have no parity (they force CS8)
    and refuse a second 7E1 setup, so 7-bit dialects run 8N1 against the simulator."""
    return profile.serial.model_copy(update={"bytesize": 8, "parity": "N"})


def _in(unit: str, grams: float) -> float:
    return grams / GRAMS_PER_UNIT[unit]


class Toledo8217Simulator(ScaleSimulator):
    """Answers ``W`` (no terminator) and the ``Ehello`` probe like an 8217 indicator."""

    link_name = "usb-Toledo_8217_sim-if00"
    unit = "lb"

    def __init__(self, *args: object, answer_probe: bool = True, **kwargs: object) -> None:
        self.answer_probe = answer_probe
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _split(self, buffer: bytes) -> tuple[list[str], bytes]:
        commands: list[str] = []
        while buffer:
            if buffer.startswith(b"Ehello"):
                commands.append("Ehello")
                buffer = buffer[6:]
            elif b"Ehello".startswith(buffer):
                break  # wait for the rest of the probe
            else:
                commands.append(chr(buffer[0]))
                buffer = buffer[1:]
        return commands, buffer

    def _respond(self, command: str) -> bytes:
        if command == "Ehello":
            return b"\x02E\rhello" if self.answer_probe else b""
        if command != "W":
            return toledo8217.format_status(toledo8217.BAD_COMMAND)
        state, net = self.condition()
        if state == "over":
            return toledo8217.format_status(toledo8217.OVER)
        if state == "under":
            return toledo8217.format_status(toledo8217.UNDER)
        if state == "motion":
            return toledo8217.format_status(toledo8217.MOTION)
        return toledo8217.format_weight(_in(self.unit, net), 3, net=self._tare_g != 0)


class NciScp12Simulator(ScaleSimulator):
    """Answers ``W``, ``S``, ``Z`` (CR terminated); anything else gets ``LF ? CR``."""

    link_name = "usb-Brecknell_SCP12_sim-if00"
    unit = "lb"

    def _status(self) -> tuple[int, int, float]:
        state, net = self.condition()
        byte1 = (nci_scp12.MOTION if state == "motion" else 0) | (
            nci_scp12.AT_ZERO if abs(net) < 0.5 else 0)
        byte2 = {"over": nci_scp12.OVER, "under": nci_scp12.UNDER}.get(state, 0)
        return byte1, byte2, net

    def _respond(self, command: str) -> bytes:
        cmd = command.upper()
        if cmd == "W":
            byte1, byte2, net = self._status()
            if byte2:
                return nci_scp12.format_status(byte1, byte2)
            return nci_scp12.format_weight(_in(self.unit, net), self.unit, byte1, byte2)
        if cmd == "S":
            byte1, byte2, _ = self._status()
            return nci_scp12.format_status(byte1, byte2)
        if cmd == "Z":
            self.zero_now()
            byte1, byte2, _ = self._status()
            return nci_scp12.format_status(byte1, byte2)
        return nci_scp12.UNKNOWN_COMMAND


class CasContinuousSimulator(ScaleSimulator):
    """Streams ``ST,GS,+  0012.34kg`` lines every ``interval_s`` without being asked."""

    link_name = "usb-CAS_continuous_sim-if00"
    unit = "kg"
    interval_s = 0.05

    _next = 0.0

    def _tick(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval_s
        state, net = self.condition()
        if state == "over":
            self.write(b"OL,GS,+  9999.99kg\r\n")
            return
        code = "ST" if state == "stable" else "US"
        self.write(cas_continuous.format_frame(code, _in(self.unit, net), self.unit,
                                               net=self._tare_g != 0))

    def _respond(self, command: str) -> bytes:
        return b""  # a streaming scale ignores input


class AdamSimulator(ScaleSimulator):
    """Answers ``P`` only with a new, stable, non-zero weight (the Adam quirk)."""

    link_name = "usb-Adam_Equipment_sim-if00"
    unit = "kg"

    _printed: float | None = None

    def _respond(self, command: str) -> bytes:
        if command.upper() != "P":
            return b""
        state, net = self.condition()
        if state != "stable" or net == 0 or net == self._printed:
            return b""
        self._printed = net
        return adam.format_frame(_in(self.unit, net), self.unit)


SIMULATORS: dict[str, type[ScaleSimulator]] = {
    "mt_sics": ScaleSimulator, "toledo_8217": Toledo8217Simulator,
    "nci_scp12": NciScp12Simulator, "cas_continuous": CasContinuousSimulator,
    "adam": AdamSimulator}
