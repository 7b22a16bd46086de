"""Which printer prints which courier label document, and what the ack says when the
hub's layout is printed instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from edge.core.courier_label import (
    ack_reason,
    escpos_width_dots,
    fallback_note,
    printer_info,
    raster_of,
    why_not,
)
from edge.core.effects import AckCommand, PrintLabel
from edge.core.pack_bench import PackBench
from edge.core.readings import WeightReading
from edge.wire import messages as m

PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
ZPL = b"^XA^FO50,50^FDX^FS^XZ"
ENV: dict[str, Any] = {"device_id": "hub", "boot_id": "b", "seq": 0}


@pytest.mark.parametrize(("kind", "data", "width", "language", "printer_width", "expected"), [
    ("zpl", ZPL, 812, "zpl", 812, None),
    ("zpl", ZPL, 812, "escpos", 576, "an ESC/POS printer cannot print a ZPL label"),
    ("png", PNG, 576, "escpos", 384, None),  # the driver scales a PNG down
    ("png", PNG, 576, "zpl", 812, "a ZPL printer cannot print a PNG label"),
    ("escpos_raster", bytes(72 * 3), 576, "escpos", 576, None),
    ("escpos_raster", bytes(72 * 3), 576, "escpos", 384,
     "the raster is 576 dots wide, the printer prints 384"),
    ("escpos_raster", bytes(72 * 3), 576, "zpl", 812,
     "a ZPL printer cannot print an ESC/POS raster label"),
])
def test_which_printer_prints_what(kind: m.CourierLabelFormat, data: bytes, width: int,
                                   language: str, printer_width: int,
                                   expected: str | None) -> None:
    assert why_not(m.CourierLabel.of(kind, data, width), language, printer_width) == expected


def test_printer_info_lists_the_formats_and_widths() -> None:
    assert printer_info("escpos", 203, escpos_width_dots(80, 203)) == m.PrinterInfo(
        language="escpos", dpi=203, width_dots=576, formats=["escpos_raster", "png"])
    assert escpos_width_dots(58, 203) == 384 and escpos_width_dots(80, 300) == 851
    assert printer_info("zpl", 300, 1218).formats == ["zpl"]


def test_raster_rows() -> None:
    raster = raster_of(m.CourierLabel.of("escpos_raster", bytes([0xFF, 0x80]) * 5, 12))
    assert (raster.width, raster.height, raster.row_bytes) == (12, 5, 2)
    with pytest.raises(ValueError, match="not a raster"):
        raster_of(m.CourierLabel.of("zpl", ZPL, 812))


def test_ack_reason_names_who_could_not_print_it() -> None:
    assert ack_reason(None, None) is None
    printer = fallback_note("a ZPL printer cannot print a PNG label")
    assert ack_reason(None, printer) == printer
    assert ack_reason("the zpl label is 300000 bytes", None) == (
        "hub: courier label not sent (the zpl label is 300000 bytes); printed the hub's layout")


def test_the_bench_passes_the_document_on_and_acks_with_the_note() -> None:
    bench = PackBench()
    job = m.PackJob(**ENV, command_id="j1", order_id="O1", order_ref="R1",
                    lines=[m.PackLine(sku="MUG", barcode="111", qty=1, unit_weight_g=300)])
    document = m.CourierLabel.of("zpl", ZPL, 812)
    label = m.PrintLabel(**ENV, command_id="L1", order_id="O1", shipment_id="S1",
                         label=m.LabelData(order_ref="R1", ship_to=["A"], courier="ups",
                                           service="11", tracking_number="T1", weight_g=300),
                         courier_label=document)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    bench.command(job, now)
    for code in ("R1", "111"):
        bench.scan(code)
    bench.weight(WeightReading(grams=300, stable=True, value=300, unit="g"))
    effects = bench.command(label, now)
    [printing] = [e for e in effects if isinstance(e, PrintLabel)]
    assert printing.courier_label == document
    snapshot = bench.snapshot()  # a restart keeps the document with the waiting label
    restored = PackBench()
    restored.restore(snapshot)
    [again] = [e for e in restored.resume() if isinstance(e, PrintLabel)]
    assert again.courier_label == document
    note = fallback_note("an ESC/POS printer cannot print a ZPL label")
    done = [e for e in bench.label_result("L1", None, note) if isinstance(e, AckCommand)]
    assert done == [AckCommand("L1", "done", note)]
