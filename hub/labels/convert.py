"""Courier labels in the language the bench printer speaks.

ZPL goes to ZPL printers untouched. PDF (first page, via PDFium) and PNG labels are
rasterised at the printer's dpi, scaled to its printable width, dithered to 1 bit and sent
either as ESC/POS raster images (python-escpos) or as a ZPL graphic field (^GFA).
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from dataclasses import dataclass
from typing import Any

from PIL import Image

# printable dots across common thermal papers at 203 dpi (the print head, not the paper)
PRINTABLE_DOTS_203 = {80: 576, 58: 384, 104: 832}


class LabelConversionError(ValueError):
    """This label cannot be printed on this printer (e.g. EPL on an ESC/POS printer)."""


@dataclass(frozen=True)
class PrinterTarget:
    language: str  # zpl, escpos, epl
    dpi: int = 203
    width_dots: int = 576
    escpos_profile: str = "TM-T20II"
    cut: bool = True

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> PrinterTarget:
        """From a firmware profile (firmware_profiles/*.yaml) of kind printer."""
        dpi = int(profile.get("dpi", 203))
        paper = int(profile.get("paper_width_mm", 80))
        dots = profile.get("printable_width_dots") or round(
            PRINTABLE_DOTS_203.get(paper, paper * 0.9 * 8) * dpi / 203)
        return cls(language=str(profile.get("language", "escpos")), dpi=dpi,
                   width_dots=int(dots), escpos_profile=str(profile.get("escpos_profile",
                                                                        "TM-T20II")),
                   cut=profile.get("cut", "partial") != "none")


def rasterise(label: bytes, label_format: str, target: PrinterTarget) -> Image.Image:
    """A 1-bit image of the label, as wide as the printer prints."""
    kind = label_format.upper()
    if kind == "PDF":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(label)
        try:
            image = pdf[0].render(scale=target.dpi / 72).to_pil()
        finally:
            pdf.close()
    elif kind in ("PNG", "GIF", "JPEG", "JPG"):
        image = Image.open(io.BytesIO(label))
        image.load()
    else:
        raise LabelConversionError(f"a {kind or 'blank'} label cannot be rasterised")
    image = image.convert("L")
    if image.width > image.height and target.language in ("escpos", "zpl"):
        image = image.rotate(90, expand=True)  # landscape labels print along the roll
    height = max(1, round(image.height * target.width_dots / image.width))
    image = image.resize((target.width_dots, height), Image.Resampling.LANCZOS)
    return image.convert("1")  # Floyd-Steinberg dither


def zpl_graphic(image: Image.Image) -> bytes:
    """A ZPL label printing the image as one ^GFA graphic field."""
    bitmap = image.convert("1")
    row_bytes = (bitmap.width + 7) // 8
    # PIL "1" packs 1 = white; ZPL wants 1 = black
    raw = bytes(b ^ 0xFF for b in bitmap.tobytes())
    padded = b"".join(raw[i * row_bytes:(i + 1) * row_bytes] for i in range(bitmap.height))
    total = len(padded)
    return (f"^XA^PW{bitmap.width}^LL{bitmap.height}^FO0,0^GFA,{total},{total},{row_bytes},"
            f"{padded.hex().upper()}^FS^XZ").encode()


def raster_rows(image: Image.Image) -> bytes:
    """The image as GS v 0 rows: 1 = black, MSB first, ``(width + 7) // 8`` bytes a row."""
    return bytes(b ^ 0xFF for b in image.convert("1").tobytes())  # PIL "1": 1 = white


def zpl_graphic_z64(image: Image.Image) -> bytes:
    """Like ``zpl_graphic`` but the field data is Z64 (zlib, base64, CRC-16): a 4x6 label
    at 203 dpi is ~124 KB as hex, a few KB as Z64."""
    raw = raster_rows(image)
    row_bytes = (image.width + 7) // 8
    encoded = base64.b64encode(zlib.compress(raw, 9))
    crc = binascii.crc_hqx(encoded, 0)  # CRC-16/CCITT (XModem) of the base64 text
    return (f"^XA^PW{image.width}^LL{image.height}^FO0,0^GFA,{len(raw)},{len(raw)},{row_bytes},"
            f":Z64:{encoded.decode()}:{crc:04X}^FS^XZ").encode()


def escpos_raster(image: Image.Image, target: PrinterTarget) -> bytes:
    from escpos.printer import Dummy

    printer = Dummy(profile=target.escpos_profile)
    printer.image(image, impl="bitImageRaster", center=False)
    if target.cut:
        printer.cut()
    return bytes(printer.output)


def convert_label(label: bytes, label_format: str, target: PrinterTarget) -> bytes:
    kind = label_format.upper()
    language = target.language.lower()
    if kind == language.upper() and kind in ("ZPL", "EPL"):
        return label  # the printer's own language: pass through
    if kind in ("ZPL", "EPL"):
        raise LabelConversionError(f"a {kind} label needs a {kind} printer, not {language}")
    image = rasterise(label, kind, target)
    if language == "escpos":
        return escpos_raster(image, target)
    if language == "zpl":
        return zpl_graphic(image)
    raise LabelConversionError(f"printers speaking {language!r} are not supported")
