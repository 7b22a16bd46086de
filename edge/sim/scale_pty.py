"""A Mettler Toledo MT-SICS balance behind a real pty.

The simulator owns the master side of a pseudo terminal and answers commands exactly as a
balance would; the real driver opens ``slave_path`` with pyserial. ``slave_path`` is a
symlink (like /dev/serial/by-id/...) so ``unplug()``/``replug()`` can make the port vanish
and come back under the same name.
"""

from __future__ import annotations

import os
import select
import tempfile
import threading
import time
import tty
from pathlib import Path

import structlog

from edge.core.mtsics import format_weight

log = structlog.get_logger(__name__)


class ScaleSimulator:
    """MT-SICS balance: answers S, SI, Z, T, @, I4 (others get ``ES``).

    Other dialects subclass it (edge.sim.scale_dialect_sims) and override ``_split``,
    ``_respond`` and ``_tick``; the physical world (load, settling, zero, tare, overload)
    is shared.
    """

    link_name = "usb-Mettler_Toledo_sim-if00"

    def __init__(self, settle_s: float = 0.6, capacity_g: float = 30_000.0,
                 serial_number: str = "0123456789", link_dir: Path | None = None) -> None:
        self.settle_s = settle_s
        self.capacity_g = capacity_g
        self.serial_number = serial_number
        self._lock = threading.Lock()
        self._load_g = 0.0  # what sits on the platter
        self._zero_g = 0.0  # zero offset
        self._tare_g = 0.0
        self._from_g = 0.0  # where a movement started
        self._settle_until = 0.0
        self._overload = False
        self._mute = False
        self.commands: list[str] = []  # every command received, for tests
        self._tmp = None if link_dir else tempfile.TemporaryDirectory(prefix="fulfil-scale-")
        base = link_dir if link_dir else Path(self._tmp.name)  # type: ignore[union-attr]
        self.slave_path = str(base / self.link_name)
        self._master = -1
        self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._plug()

    # --- the physical world --------------------------------------------------------------

    def place(self, grams: float) -> None:
        """Put a parcel of ``grams`` on the platter (replaces what was there)."""
        with self._lock:
            self._from_g = self._shown_raw(time.monotonic())
            self._load_g = float(grams)
            self._overload = False
            self._settle_until = time.monotonic() + self.settle_s

    def remove(self) -> None:
        self.place(0.0)

    def overload(self) -> None:
        with self._lock:
            self._overload = True

    def mute(self, muted: bool = True) -> None:
        """Stop answering (a balance switched off while its cable stays in)."""
        self._mute = muted

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the line, as electrical noise or a wrong baud rate would."""
        with self._lock:
            if self._master >= 0:
                os.write(self._master, data)

    def unplug(self) -> None:
        """The USB-serial adapter goes away: the port disappears."""
        self._unplug()

    def replug(self) -> None:
        self._plug()

    def close(self) -> None:
        self._unplug()
        if self._tmp is not None:
            self._tmp.cleanup()

    # --- pty and command loop ------------------------------------------------------------

    def _plug(self) -> None:
        if self._thread is not None:
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo before the driver configures the line
        link = Path(self.slave_path)
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self._slave))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scale-sim", daemon=True)
        self._thread.start()
        log.debug("scale_sim_plugged", path=self.slave_path)

    def _unplug(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=2)
        self._thread = None
        Path(self.slave_path).unlink(missing_ok=True)
        with self._lock:
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1
        log.debug("scale_sim_unplugged", path=self.slave_path)

    def _run(self) -> None:
        buffer = b""
        master = self._master
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                if not self._mute:
                    self._tick()
                continue
            try:
                chunk = os.read(master, 1024)
            except OSError:  # the slave side was closed and reopened: keep serving
                time.sleep(0.01)
                continue
            commands, buffer = self._split(buffer + chunk)
            for command in commands:
                if not self._mute:
                    self._answer(command)

    def _split(self, buffer: bytes) -> tuple[list[str], bytes]:
        """Commands (CR or LF terminated) in ``buffer`` and the unfinished rest."""
        commands: list[str] = []
        while True:
            idx = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0),
                      default=-1)
            if idx < 0:
                return commands, buffer
            line, buffer = buffer[:idx], buffer[idx + 1:]
            command = line.decode("ascii", "replace").strip()
            if command:
                commands.append(command)

    def _tick(self) -> None:
        """Called about every 20 ms while no command arrives (streaming scales write here)."""

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._master >= 0:
                os.write(self._master, data)

    def condition(self) -> tuple[str, float]:
        """("over" | "under" | "motion" | "stable", net grams shown now)."""
        now = time.monotonic()
        with self._lock:
            net = round(self._shown_raw(now) - self._zero_g - self._tare_g, 2) + 0.0
            if self._overload or self._load_g > self.capacity_g:
                return "over", net
            if net < -self.capacity_g * 0.05:
                return "under", net
            return ("motion" if now < self._settle_until else "stable"), net

    def zero_now(self) -> bool:
        """Zero the scale if it is stable; False when it cannot."""
        with self._lock:
            if time.monotonic() < self._settle_until or self._overload:
                return False
            self._zero_g = self._load_g
            self._tare_g = 0.0
            return True

    def _answer(self, command: str) -> None:
        self.commands.append(command)
        answer = self._respond(command)
        if answer:
            self.write(answer)

    def _respond(self, command: str) -> bytes:
        cmd = command.split()[0].upper()
        if cmd == "S":
            remaining = self._settle_until - time.monotonic()
            if 0 < remaining < 3.0:  # S waits for stability, within the balance's timeout
                self._stop.wait(remaining)
            elif remaining >= 3.0:
                return b"S I\r\n"
            return self._weight_frame("S")
        if cmd == "SI":
            return self._weight_frame("SI")
        if cmd in ("Z", "T"):
            return self._zero_or_tare(cmd)
        if cmd == "@":
            with self._lock:
                self._tare_g = 0.0
            return f'I4 A "{self.serial_number}"\r\n'.encode()
        if cmd == "I4":
            return f'I4 A "{self.serial_number}"\r\n'.encode()
        return b"ES\r\n"

    def _zero_or_tare(self, cmd: str) -> bytes:
        now = time.monotonic()
        with self._lock:
            if now < self._settle_until or self._overload:
                return f"{cmd} I\r\n".encode()
            if cmd == "Z":
                self._zero_g = self._load_g
                self._tare_g = 0.0
                return b"Z A\r\n"
            self._tare_g = self._load_g - self._zero_g
            return format_weight("T", "S", self._tare_g)

    def _shown_raw(self, now: float) -> float:
        """Weight the load cell sees now (moving towards the load while settling)."""
        if now >= self._settle_until or self.settle_s <= 0:
            return self._load_g
        progress = 1.0 - (self._settle_until - now) / self.settle_s
        wobble = 0.03 * (self._load_g - self._from_g) * (1 if int(now * 20) % 2 else -1)
        return self._from_g + (self._load_g - self._from_g) * progress + wobble

    def _weight_frame(self, cmd: str) -> bytes:
        now = time.monotonic()
        with self._lock:
            if self._overload or self._load_g > self.capacity_g:
                return f"{cmd} +\r\n".encode()
            net = self._shown_raw(now) - self._zero_g - self._tare_g
            if net < -self.capacity_g * 0.05:
                return f"{cmd} -\r\n".encode()
            status = "D" if now < self._settle_until else "S"
        return format_weight(cmd, status, round(net, 2) + 0.0)  # + 0.0: no "-0.00"
