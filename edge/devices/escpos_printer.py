"""ESC/POS thermal label printer (python-escpos).

Options (agent config ``devices.printer.options``):
  connection  ``network`` (host, port=9100, timeout=10), ``file`` (path, e.g. /dev/usb/lp0)
              or ``dummy`` (bytes kept in memory)
  any PrinterProfile field (escpos_profile, width_chars, cut ...) overrides the profile.

A courier label (``escpos_raster`` rows or a ``png``) is printed as one raster image with
python-escpos (GS v 0); anything else, or a document that cannot be read, prints the
``LabelData`` layout instead and ``print_label`` returns why.

Barcodes are hardware Code128 (GS k) when the capability profile has it, else rendered as a
raster image; QR likewise. Network and file connections are opened per label, so a printer
that was switched off or unplugged is noticed on the next label.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable
from typing import Any

import structlog

from edge.core.courier_label import (
    Raster,
    escpos_width_dots,
    fallback_note,
    printer_info,
    raster_of,
    why_not,
)
from edge.core.label_layout import LabelElement, LabelLayout, layout_label
from edge.devices.base import PeripheralState, Printer
from edge.errors import ConfigError, PrinterError
from edge.profiles import PrinterProfile
from edge.wire.messages import CourierLabel, LabelData, PrinterInfo

log = structlog.get_logger(__name__)

Connect = Callable[[str], Any]  # escpos capability profile name -> open Escpos instance


def connection_from_options(options: dict[str, Any]) -> Connect:
    """Build the connection opener the options describe (escpos imported lazily)."""
    kind = options.get("connection", "dummy")
    if kind == "network":
        host = options.get("host")
        if not host:
            raise ConfigError("printer options: host: required for a network printer")
        port = int(options.get("port", 9100))
        timeout = float(options.get("timeout", 10))

        def network(profile: str) -> Any:
            from escpos.printer import Network

            printer = Network(host, port=port, timeout=timeout, profile=profile)
            printer.open()
            return printer
        return network
    if kind == "file":
        path = options.get("path")
        if not path:
            raise ConfigError("printer options: path: required for a file printer")

        def file(profile: str) -> Any:
            from escpos.printer import File

            printer = File(path, profile=profile)
            printer.open()
            return printer
        return file
    if kind == "dummy":
        holder: dict[str, Any] = {}

        def dummy(profile: str) -> Any:
            if "printer" not in holder:
                from escpos.printer import Dummy

                holder["printer"] = Dummy(profile=profile)
            return holder["printer"]
        return dummy
    raise ConfigError(f"printer options: connection: unknown connection {kind!r}")


class EscposPrinter(Printer):
    def __init__(self, name: str, connect: Connect, profile: PrinterProfile,
                 keep_open: bool = False) -> None:
        """``keep_open``: reuse one connection (Dummy, capture) instead of one per label."""
        super().__init__(name)
        self.profile = profile
        self._connect = connect
        self._keep_open = keep_open
        self._printer: Any = None
        self._lock = threading.Lock()
        self._state: PeripheralState = "offline"
        self._detail: str | None = "not opened"
        self.labels = 0

    def open(self) -> None:
        from escpos.capabilities import get_profile

        try:
            capability = get_profile(self.profile.escpos_profile)
        except KeyError:
            raise ConfigError(f"printer profile: escpos_profile: unknown python-escpos profile "
                              f"{self.profile.escpos_profile!r}") from None
        self._hw_barcode = (capability.supports("barcodeB")
                            and not self.profile.force_software_barcode)
        self._native_qr = (capability.supports("qrCode") if self.profile.qr_native is None
                           else self.profile.qr_native)
        self._state, self._detail = "ok", None

    def close(self) -> None:
        with self._lock:
            self._disconnect()
            self._state, self._detail = "offline", "closed"

    def state(self) -> tuple[PeripheralState, str | None]:
        return self._state, self._detail

    def _disconnect(self) -> None:
        if self._printer is not None:
            with contextlib.suppress(Exception):
                self._printer.close()
            self._printer = None

    @property
    def width_dots(self) -> int:
        return escpos_width_dots(self.profile.paper_width_mm, self.profile.dpi)

    def info(self) -> PrinterInfo:
        return printer_info("escpos", self.profile.dpi, self.width_dots)

    def courier_image(self, document: CourierLabel) -> Any:
        """The document as a 1-bit PIL image no wider than the printer; ValueError if not."""
        from PIL import Image, UnidentifiedImageError

        reason = why_not(document, "escpos", self.width_dots)
        if reason is not None:
            raise ValueError(reason)
        if document.format == "escpos_raster":
            raster: Raster = raster_of(document)
            # PIL "1" stores 1 = white; the raster has 1 = black
            inverted = bytes(b ^ 0xFF for b in raster.rows)
            return Image.frombytes("1", (raster.width, raster.height), inverted)
        try:
            image = Image.open(io.BytesIO(document.data()))
            image.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"the PNG cannot be read: {exc}") from None
        image = image.convert("L")
        if image.width > self.width_dots:
            height = max(1, round(image.height * self.width_dots / image.width))
            image = image.resize((self.width_dots, height), Image.Resampling.LANCZOS)
        return image.convert("1")

    def print_label(self, label: LabelData, courier_label: CourierLabel | None = None
                    ) -> str | None:
        note, image = None, None
        if courier_label is not None:
            try:
                image = self.courier_image(courier_label)
            except ValueError as exc:
                note = fallback_note(str(exc))
        layout = layout_label(label, self.profile.width_chars)
        with self._lock:
            try:
                printer = self._printer or self._connect(self.profile.escpos_profile)
                if image is not None:
                    self._image(printer, image)
                else:
                    self._render(printer, layout)
            except Exception as exc:
                self._disconnect()
                offline = isinstance(exc, OSError) or type(exc).__name__ == "DeviceNotFoundError"
                self._state = "offline" if offline else "error"
                self._detail = str(exc)[:200]
                log.warning("label_print_failed", printer=self.name,
                            tracking=label.tracking_number, error=str(exc))
                raise PrinterError(f"printer {self.name}: {exc}") from exc
            if self._keep_open:
                self._printer = printer
            else:
                with contextlib.suppress(Exception):
                    printer.close()
            self._state, self._detail = "ok", None
            self.labels += 1
        log.info("label_printed", printer=self.name, tracking=label.tracking_number,
                 courier_label=image is not None, note=note)
        return note

    def _image(self, p: Any, image: Any) -> None:
        """The courier's label as one GS v 0 raster image, then feed and cut."""
        p.set_with_default()
        p.image(image, impl="bitImageRaster", center=False)
        p.cut(mode="PART" if self.profile.cut == "partial" else "FULL")

    def _render(self, p: Any, layout: LabelLayout) -> None:
        for element in layout.elements:
            if element.kind == "text":
                self._text(p, element)
            elif element.kind == "code128":
                self._barcode(p, element.value)
            else:
                self._qr(p, element.value)
        p.set_with_default()
        # Feeds the label out; cuts only where the capability profile has a cutter.
        p.cut(mode="PART" if self.profile.cut == "partial" else "FULL")

    @staticmethod
    def _text(p: Any, e: LabelElement) -> None:
        p.set(align="center" if e.center else "left", bold=e.bold,
              double_height=e.large, double_width=e.large, normal_textsize=not e.large)
        p.textln(e.value)

    def _barcode(self, p: Any, value: str) -> None:
        p.set(align="center")
        args: dict[str, Any] = {"height": self.profile.barcode_height,
                                "width": self.profile.barcode_width, "pos": "OFF"}
        # python-escpos reports its renderer choice with print(): keep it off stdout.
        with contextlib.redirect_stdout(io.StringIO()):
            if self._hw_barcode:
                p.barcode("{B" + value, "CODE128", function_type="B", **args)
            else:
                p.barcode(value, "CODE128", force_software=True, **args)

    def _qr(self, p: Any, value: str) -> None:
        if self._native_qr:  # python-escpos centres only image QR codes itself
            p.set(align="center")
            p.qr(value, size=6, native=True)
        else:
            p.qr(value, size=6, native=False, center=True)
