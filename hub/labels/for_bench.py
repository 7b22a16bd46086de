"""The courier's label as a ``print_label`` document for one bench's printer.

The bench reports its printer (language, dpi, printable width) in its birth message
(``DeviceStatus.printer``). For a ZPL printer a ZPL label passes through and PDF/PNG labels
become one Z64-compressed ^GFA graphic; for an ESC/POS printer PDF/PNG labels become 1-bit
rows at the printer's width (printed with GS v 0). A bench that did not report its printer
gets ZPL as it is and images as a PNG at 203 dpi, 576 dots wide, which ESC/POS printers
scale to their width. Whatever cannot be converted, or comes out larger than a
``print_label`` may carry, is left out with a reason: the bench then prints the hub's layout.
"""

from __future__ import annotations

import io

from PIL import Image

from edge.wire.messages import COURIER_LABEL_MAX_BYTES, CourierLabel, PrinterInfo
from hub.labels.convert import (
    LabelConversionError,
    PrinterTarget,
    raster_rows,
    rasterise,
    zpl_graphic_z64,
)

UNKNOWN_PRINTER = PrinterTarget("escpos", dpi=203, width_dots=576)
IMAGE_FORMATS = ("PDF", "PNG", "GIF", "JPEG", "JPG")


class LabelTooLarge(LabelConversionError):
    """The converted label would not fit in one print_label message."""


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _convert(label: bytes, kind: str, printer: PrinterInfo | None) -> CourierLabel:
    if printer is None:
        if kind == "ZPL":
            return _sized("zpl", label, 812, 203)
        if kind not in IMAGE_FORMATS:
            raise LabelConversionError(f"a {kind} label needs a {kind} printer and the bench "
                                       "did not report its printer")
        image = rasterise(label, kind, UNKNOWN_PRINTER)
        return _sized("png", _png(image), image.width, UNKNOWN_PRINTER.dpi)
    target = PrinterTarget(printer.language, dpi=printer.dpi, width_dots=printer.width_dots)
    if kind in ("ZPL", "EPL"):
        if kind.lower() != printer.language:
            has = {"escpos": "an ESC/POS", "zpl": "a ZPL"}[printer.language]
            raise LabelConversionError(f"a {kind} label needs a {kind} printer, the bench has "
                                       f"{has} printer")
        return _sized("zpl", label, printer.width_dots, printer.dpi)
    if kind not in IMAGE_FORMATS:
        raise LabelConversionError(f"a {kind or 'blank'} label cannot be converted")
    image = rasterise(label, kind, target)
    if printer.language == "zpl":
        return _sized("zpl", zpl_graphic_z64(image), image.width, printer.dpi)
    return _sized("escpos_raster", raster_rows(image), image.width, printer.dpi)


def _sized(kind: str, data: bytes, width_dots: int, dpi: int) -> CourierLabel:
    if len(data) > COURIER_LABEL_MAX_BYTES:
        raise LabelTooLarge(f"the {kind} label is {len(data)} bytes, more than the "
                            f"{COURIER_LABEL_MAX_BYTES} a print_label carries")
    return CourierLabel.of(kind, data, width_dots, dpi)  # type: ignore[arg-type]


def label_for_bench(label: bytes, label_format: str, printer: PrinterInfo | None
                    ) -> tuple[CourierLabel | None, str | None]:
    """(the document, None), or (None, why the bench prints the hub's layout instead).
    (None, None) when the courier sent no label (the manual courier)."""
    if not label:
        return None, None
    kind = label_format.upper()
    try:
        return _convert(label, kind, printer), None
    except LabelConversionError as exc:
        return None, str(exc)
    except Exception as exc:  # a damaged PDF or image from the courier: PIL/PDFium errors
        return None, f"the courier's {kind} label cannot be read: {exc}"
