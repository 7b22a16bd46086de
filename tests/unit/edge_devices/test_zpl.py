"""ZPL rendering of the shared label layout, and ~HS host status parsing."""

from __future__ import annotations

import re

import pytest

from edge.core.label_layout import layout_label
from edge.core.zpl import format_host_status, label_size_dots, parse_host_status, render_zpl
from edge.wire.messages import LabelData

LABEL = LabelData(order_ref="#1001", ship_to=["Jane ^Doe~", "1 High Street", "London SW1A 1AA"],
                  courier="Royal Mail", service="Tracked 24", tracking_number="AB123456785GB",
                  weight_g=1234.0, qr="https://track.example/AB123456785GB")


def test_4x6_at_203_dpi() -> None:
    assert label_size_dots(4, 6, 203) == (812, 1218)
    zpl = render_zpl(layout_label(LABEL, 29)).decode()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^PW812" in zpl and "^LL1218" in zpl and "^CI28" in zpl
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1


def test_every_layout_element_is_rendered() -> None:
    zpl = render_zpl(layout_label(LABEL, 29)).decode()
    assert "^BCN" in zpl and "^FDAB123456785GB^FS" in zpl  # Code 128 tracking barcode
    assert "^BQN,2," in zpl and "^FDMA,https://track.example/AB123456785GB^FS" in zpl
    assert "ROYAL MAIL" in zpl and "Order: #1001" in zpl and "Weight: 1.234 kg" in zpl
    # ^ and ~ in data are hex-escaped, never raw: they would start a command
    assert "Jane _5EDoe_7E" in zpl
    for data in re.findall(r"\^FD(.*?)\^FS", zpl):
        assert "^" not in data and "~" not in data


def test_utf8_data_is_escaped() -> None:
    label = LABEL.model_copy(update={"ship_to": ["Zoë Müller", "Straße 1"]})
    zpl = render_zpl(layout_label(label, 29)).decode("ascii")  # pure ASCII on the wire
    assert "Zo_C3_AB M_C3_BCller" in zpl


def test_content_longer_than_the_label_is_refused() -> None:
    with pytest.raises(ValueError, match="dots"):
        render_zpl(layout_label(LABEL, 29), length_dots=300)


def test_host_status() -> None:
    ok = parse_host_status(format_host_status())
    assert ok is not None and ok.problem is None
    out = parse_host_status(format_host_status(paper_out=True))
    assert out is not None and out.paper_out and out.problem == "paper out"
    head = parse_host_status(format_host_status(head_open=True, paused=True))
    assert head is not None and head.problem == "head open" and head.paused
    assert parse_host_status(format_host_status()[:20]) is None  # incomplete
    assert parse_host_status(b"\x02garbage\x03\x02x\x03\x02y\x03") is None
