"""Printer capture: the bytes a real printer would receive.

``PrinterCapture`` hands the driver python-escpos's ``Dummy`` connection and keeps what it
was sent; ``Tcp9100Capture`` is a tiny raw-printing (JetDirect) server for network tests.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from edge.core.zpl import HOST_STATUS_QUERY, format_host_status
from edge.devices.escpos_printer import EscposPrinter
from edge.profiles import PrinterProfile

CUT_COMMANDS = (b"\x1dV\x00", b"\x1dV\x01", b"\x1dVA", b"\x1dVB")
ESCPOS_STATUS_QUERY = b"\x10\x04"  # DLE EOT n: real-time status (n=1 printer, n=4 paper)


class PrinterCapture:
    def __init__(self) -> None:
        self._dummy: Any = None
        self._labels = 0
        self._lock = threading.Lock()

    def connect(self, profile: str) -> Any:
        """Connection opener for EscposPrinter: one Dummy, whose ``cut`` counts labels."""
        from escpos.printer import Dummy

        capture = self

        class CountingDummy(Dummy):  # type: ignore[misc]
            def cut(self, mode: str = "FULL", feed: bool = True) -> None:
                super().cut(mode=mode, feed=feed)
                capture._label_done()

        with self._lock:
            if self._dummy is None:
                self._dummy = CountingDummy(profile=profile)
            return self._dummy

    def _label_done(self) -> None:
        with self._lock:
            self._labels += 1

    def output(self) -> bytes:
        with self._lock:
            return b"" if self._dummy is None else bytes(self._dummy.output)

    def labels_printed(self) -> int:
        with self._lock:
            return self._labels

    def clear(self) -> None:
        with self._lock:
            if self._dummy is not None:
                self._dummy.clear()
            self._labels = 0

    def close(self) -> None:
        """Nothing to release (kept for symmetry with the other simulators)."""


def simulated_printer(name: str, profile: PrinterProfile) -> tuple[EscposPrinter, PrinterCapture]:
    capture = PrinterCapture()
    return EscposPrinter(name, capture.connect, profile, keep_open=True), capture


class Tcp9100Capture:
    """Accepts raw print jobs on 127.0.0.1; each connection is one job.

    It answers ZPL's ``~HS`` host status query like a Zebra printer, with the flags set in
    ``paper_out``, ``paused`` and ``head_open`` (the query bytes are not kept in the job),
    and ESC/POS real-time status queries (``DLE EOT 1`` printer, ``DLE EOT 4`` paper sensor)
    sent before any job data, with ``paused`` as offline and ``paper_out``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.paper_out = False
        self.paused = False
        self.head_open = False
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.1)
        self.host, self.port = self._server.getsockname()[:2]
        self.jobs: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tcp9100-capture", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.1)
                data = bytearray()
                while not self._stop.is_set():
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        continue
                    if not chunk:
                        break
                    data += chunk
                    while data.startswith(ESCPOS_STATUS_QUERY) and len(data) >= 3:
                        conn.sendall(self._escpos_status(data[2]))
                        data = data[3:]
                    while HOST_STATUS_QUERY in data:
                        data = data.replace(HOST_STATUS_QUERY, b"", 1)
                        conn.sendall(format_host_status(self.paper_out, self.paused,
                                                        self.head_open))
            with self._lock:
                self.jobs.append(bytes(data))

    def _escpos_status(self, n: int) -> bytes:
        """Status byte as an Epson TM answers: bits 1 and 4 always set (0x12); n=1: bit 3
        offline; n=4: bits 2-3 paper near end, bits 5-6 paper end."""
        if n == 4:
            return bytes([0x12 | (0x6C if self.paper_out else 0)])
        return bytes([0x12 | (0x08 if self.paused or self.paper_out else 0)])

    def output(self) -> bytes:
        with self._lock:
            return b"".join(self.jobs)

    def labels_printed(self) -> int:
        """ZPL formats (``^XZ``) if any were sent, else non-empty jobs (ESC/POS)."""
        with self._lock:
            zpl = sum(job.count(b"^XZ") for job in self.jobs)
            return zpl or sum(1 for job in self.jobs if job)

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)
