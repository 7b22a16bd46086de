from __future__ import annotations

import pytest

from edge.core.label_layout import layout_label
from edge.wire.messages import LabelData

LABEL = LabelData(order_ref="#1001", ship_to=["Jane Doe", "1 High Street", "London SW1A 1AA"],
                  courier="Royal Mail", service="Tracked 24", tracking_number="AB123456785GB",
                  weight_g=1234.0, qr="https://track.example/AB123456785GB")


def test_roles_in_order() -> None:
    layout = layout_label(LABEL, 48)
    roles = [e.role for e in layout.elements]
    assert roles == ["header", "courier", "ship_to_title", "ship_to", "ship_to", "ship_to",
                     "tracking_barcode", "tracking_text", "order_ref", "weight", "qr"]
    assert layout.barcode_value == "AB123456785GB"
    assert layout.by_role("tracking_barcode")[0].kind == "code128"
    assert layout.by_role("qr")[0].kind == "qr"
    assert layout.by_role("header")[0].value == "ROYAL MAIL"
    assert "Order: #1001" in layout.text_lines()
    assert "Weight: 1.234 kg" in layout.text_lines()


def test_no_qr_and_small_weight() -> None:
    layout = layout_label(LABEL.model_copy(update={"qr": None, "weight_g": 250.0}), 32)
    assert layout.by_role("qr") == []
    assert "Weight: 250 g" in layout.text_lines()


def test_long_lines_wrap_to_the_paper_width() -> None:
    long = LABEL.model_copy(update={"ship_to": ["Jane Doe", "Flat 4, " + "Very Long Road " * 5]})
    layout = layout_label(long, 32)
    for e in layout.elements:
        limit = layout.width_chars // 2 if e.large else layout.width_chars
        assert len(e.value) <= limit or e.kind != "text"
    assert len(layout.by_role("ship_to")) > 2


def test_too_narrow() -> None:
    with pytest.raises(ValueError):
        layout_label(LABEL, 10)
