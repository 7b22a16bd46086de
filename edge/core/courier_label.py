"""Which courier label documents a printer can print, and the checks before it tries (pure).

The hub converts the courier's label for the bench's printer (``PrintLabel.courier_label``);
a printer that cannot print what arrived prints the hub's ``LabelData`` layout instead and
says why in its ``command_ack`` reason. This module decides; the drivers print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edge.wire.messages import CourierLabel, CourierLabelFormat, PrinterInfo

PrinterLanguage = Literal["escpos", "zpl"]

FORMATS: dict[str, tuple[CourierLabelFormat, ...]] = {
    "escpos": ("escpos_raster", "png"),  # python-escpos image printing (GS v 0)
    "zpl": ("zpl",),  # sent to the printer as it is
}


def printer_info(language: PrinterLanguage, dpi: int, width_dots: int) -> PrinterInfo:
    """What a pack bench reports about its printer in its birth message."""
    return PrinterInfo(language=language, dpi=dpi, width_dots=width_dots,
                       formats=list(FORMATS[language]))


def escpos_width_dots(paper_width_mm: int, dpi: int) -> int:
    """Printable dots across an ESC/POS roll: 576 on 80 mm, 384 on 58 mm at 203 dpi."""
    at_203 = {80: 576, 58: 384, 104: 832}.get(paper_width_mm, int(paper_width_mm * 0.9 * 8))
    return round(at_203 * dpi / 203)


@dataclass(frozen=True)
class Raster:
    """A 1-bit image in GS v 0 layout: 1 = black, MSB first, whole bytes per row."""

    width: int
    height: int
    rows: bytes

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8


FALLBACK = "printed the hub's layout"
PRINTER_NAMES = {"escpos": "an ESC/POS printer", "zpl": "a ZPL printer"}
FORMAT_NAMES = {"zpl": "a ZPL", "png": "a PNG", "escpos_raster": "an ESC/POS raster"}


def fallback_note(reason: str) -> str:
    """The command_ack reason of a label printed from LabelData instead of the courier's."""
    return f"courier label not printed ({reason}); {FALLBACK}"


def ack_reason(hub_note: str | None, printer_note: str | None) -> str | None:
    """The ``command_ack`` reason of a printed label: why the courier's label was not
    printed, whether the hub could not send it or the printer could not print it."""
    parts = [f"hub: courier label not sent ({hub_note}); {FALLBACK}" if hub_note else None,
             printer_note]
    return "; ".join(p for p in parts if p) or None


def why_not(document: CourierLabel, language: str, width_dots: int) -> str | None:
    """None when this printer can print the document, else the reason it can't."""
    allowed = FORMATS.get(language, ())
    if document.format not in allowed:
        printer = PRINTER_NAMES.get(language, f"a {language} printer")
        return f"{printer} cannot print {FORMAT_NAMES[document.format]} label"
    if document.format == "escpos_raster" and document.width_dots > width_dots:
        return (f"the raster is {document.width_dots} dots wide, the printer prints "
                f"{width_dots}")
    return None


def raster_of(document: CourierLabel) -> Raster:
    """The rows of an ``escpos_raster`` document (its size was checked on the wire)."""
    if document.format != "escpos_raster":
        raise ValueError(f"a {document.format} label is not a raster")
    data = document.data()
    row_bytes = (document.width_dots + 7) // 8
    return Raster(width=document.width_dots, height=len(data) // row_bytes, rows=data)
