"""Labels for the bench printer: ZPL pass-through, PDF/PNG rasterised to the printer's width
for ESC/POS and ZPL; the packing slip from its template."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from hub.labels.convert import (
    LabelConversionError,
    PrinterTarget,
    convert_label,
    rasterise,
    zpl_graphic,
)
from hub.labels.slip import packing_slip, slip_escpos

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT.parent / "shared" / "samples" / "couriers"
UPS = json.loads((SAMPLES / "courier_ups_shipment_response.json").read_text())
PNG = base64.b64decode(UPS["ShipmentResponse"]["ShipmentResults"]["PackageResults"]
                       ["ShippingLabel"]["GraphicImage"])
DHL = json.loads((SAMPLES / "courier_dhl_express_mydhl_shipment_response.json").read_text())
PDF = base64.b64decode(DHL["documents"][0]["content"])
ZPL = b"^XA^FO50,50^A0N,50,50^FDHello^FS^XZ"


def profile(name: str) -> PrinterTarget:
    return PrinterTarget.from_profile(yaml.safe_load(
        (ROOT / "firmware_profiles" / name).read_text()))


def raster_width_bytes(escpos: bytes) -> int:
    """The xL xH width (in bytes) of the first GS v 0 raster image."""
    at = escpos.index(b"\x1dv0")
    return escpos[at + 4] + 256 * escpos[at + 5]


def test_zpl_passes_through_untouched() -> None:
    assert convert_label(ZPL, "ZPL", PrinterTarget("zpl")) == ZPL


def test_zpl_cannot_go_to_escpos() -> None:
    with pytest.raises(LabelConversionError, match="needs a ZPL printer"):
        convert_label(ZPL, "ZPL", PrinterTarget("escpos"))


@pytest.mark.parametrize(("profile_name", "dots"), [
    ("epson-tm-t20iii-80mm.yaml", 576), ("generic-58mm-escpos.yaml", 384)])
@pytest.mark.parametrize(("label", "kind"), [(PNG, "PNG"), (PDF, "PDF")])
def test_png_and_pdf_rasterise_to_the_printer_width(profile_name: str, dots: int,
                                                    label: bytes, kind: str) -> None:
    target = profile(profile_name)
    assert target.width_dots == dots
    out = convert_label(label, kind, target)
    assert raster_width_bytes(out) == dots // 8
    image = rasterise(label, kind, target)
    assert image.mode == "1" and image.width == dots


def test_ups_png_label_keeps_its_ink_when_rasterised() -> None:
    image = rasterise(PNG, "PNG", PrinterTarget("escpos", width_dots=576))
    black = image.histogram()[0] / (image.width * image.height)
    assert 0.01 < black < 0.6  # a real label: text and barcodes, not blank, not solid


def test_png_to_zpl_graphic_field() -> None:
    out = convert_label(PNG, "PNG", PrinterTarget("zpl", dpi=203, width_dots=812)).decode()
    match = re.search(r"\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS", out)
    assert match is not None and out.startswith("^XA^PW812")
    total, _, row, data = int(match[1]), match[2], int(match[3]), match[4]
    assert row == 812 // 8 + (1 if 812 % 8 else 0) and len(data) == 2 * total


def test_zpl_graphic_encodes_black_as_ones() -> None:
    from PIL import Image

    image = Image.new("1", (8, 1), 1)
    image.putpixel((0, 0), 0)
    assert zpl_graphic(image).endswith(b"^GFA,1,1,1,80^FS^XZ")


def test_packing_slip_template() -> None:
    order = SimpleNamespace(
        id="ord_42", channel="web", channel_ref="W-42",
        lines=[SimpleNamespace(sku="MUG", qty=2), SimpleNamespace(sku="TEE", qty=1)],
        ship_to={"name": "Ada", "line1": "1 Road", "city": "Leeds", "country": "GB"})
    shipment = SimpleNamespace(courier="royalmail", service="TPS48",
                               tracking_number="RB123456785GB")
    text = packing_slip(order, shipment, width=32)
    lines = text.splitlines()
    assert lines[0].strip() == "PACKING SLIP" and len(lines[1]) == 32
    assert "Tracking: RB123456785GB" in lines
    assert "MUG" + " " * 28 + "2" in lines and lines.count("Items" + " " * 26 + "3") == 1
    assert "  Leeds" in lines
    out = slip_escpos(text)
    assert b"RB123456785GB" in out and b"\x1dV" in out  # text, then the cut
