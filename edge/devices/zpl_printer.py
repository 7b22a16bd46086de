"""Zebra-type label printer speaking ZPL II over raw TCP 9100.

Options (agent config ``devices.printer.options``): ``host`` (required), ``port`` (9100),
``timeout`` (seconds, 5), any PrinterProfile field.

Each label opens a connection, asks ``~HS`` (host status) first and prints only if the
printer reports no paper-out, head-open, ribbon-out or pause; otherwise the label is refused
with a PrinterError naming the reason and the peripheral state becomes ``error`` with it.
An unreachable printer is ``offline``. A courier label in ZPL is sent as it is; any other
format prints the ``LabelData`` layout instead and ``print_label`` returns why. ``open``
probes the status once so the state is known before the first label.
"""

from __future__ import annotations

import socket
import threading
import time

import structlog

from edge.core.courier_label import fallback_note, printer_info, why_not
from edge.core.label_layout import layout_label
from edge.core.zpl import (
    HOST_STATUS_QUERY,
    HostStatus,
    label_size_dots,
    parse_host_status,
    render_zpl,
)
from edge.devices.base import PeripheralState, Printer
from edge.errors import PrinterError
from edge.profiles import PrinterProfile
from edge.wire.messages import CourierLabel, LabelData, PrinterInfo

log = structlog.get_logger(__name__)


class ZplPrinter(Printer):
    def __init__(self, name: str, host: str, port: int, profile: PrinterProfile,
                 timeout: float = 5.0) -> None:
        super().__init__(name)
        self.host, self.port, self.timeout = host, port, timeout
        self.profile = profile
        self._lock = threading.Lock()
        self._state: PeripheralState = "offline"
        self._detail: str | None = "not opened"

    def open(self) -> None:
        try:
            with self._connect() as conn:
                self._status(conn)
        except PrinterError as exc:
            log.warning("zpl_printer_not_ready", printer=self.name, error=str(exc))

    def close(self) -> None:
        self._state, self._detail = "offline", "closed"

    def state(self) -> tuple[PeripheralState, str | None]:
        return self._state, self._detail

    def render(self, label: LabelData) -> bytes:
        width, length = label_size_dots(self.profile.label_width_in,
                                        self.profile.label_length_in, self.profile.dpi)
        chars = max(16, width // (self.profile.dpi // 7))  # about 7 characters per inch
        return render_zpl(layout_label(label, chars), width, length, self.profile.dpi)

    @property
    def width_dots(self) -> int:
        return label_size_dots(self.profile.label_width_in, self.profile.label_length_in,
                               self.profile.dpi)[0]

    def info(self) -> PrinterInfo:
        return printer_info("zpl", self.profile.dpi, self.width_dots)

    def print_label(self, label: LabelData, courier_label: CourierLabel | None = None
                    ) -> str | None:
        note = None
        if courier_label is not None:
            reason = why_not(courier_label, "zpl", self.width_dots)
            note = None if reason is None else fallback_note(reason)
        data = courier_label.data() if courier_label is not None and note is None \
            else self.render(label)
        with self._lock, self._connect() as conn:
            self._status(conn)
            try:
                conn.sendall(data)
            except OSError as exc:
                self._state, self._detail = "offline", f"send failed: {exc}"
                raise PrinterError(f"printer {self.name}: {self._detail}") from exc
        log.info("zpl_label_sent", printer=self.name, bytes=len(data),
                 courier_label=courier_label is not None and note is None, note=note)
        return note

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self._state, self._detail = "offline", f"{self.host}:{self.port}: {exc}"
            raise PrinterError(f"printer {self.name}: offline ({self._detail})") from exc

    def _status(self, conn: socket.socket) -> HostStatus:
        status = query_host_status(conn, self.timeout)
        if status is None:
            self._state, self._detail = "offline", "no answer to ~HS"
            raise PrinterError(f"printer {self.name}: offline (no host status)")
        problem = status.problem
        if problem is not None:
            self._state, self._detail = "error", problem
            raise PrinterError(f"printer {self.name}: {problem}")
        self._state, self._detail = "ok", None
        return status


def query_host_status(conn: socket.socket, timeout: float) -> HostStatus | None:
    """Send ``~HS`` and read until a whole answer parses; None when none came in time."""
    answer = b""
    deadline = time.monotonic() + timeout
    try:
        conn.sendall(HOST_STATUS_QUERY)
        while time.monotonic() < deadline:
            chunk = conn.recv(1024)
            if not chunk:
                return None
            answer += chunk
            status = parse_host_status(answer)
            if status is not None:
                return status
    except OSError:  # a timeout or a reset: no answer
        pass
    return None
