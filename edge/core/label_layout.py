"""Lay out a shipping label once, as plain data that each printer adapter renders (pure)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Literal

from edge.wire.messages import LabelData

Role = Literal["header", "ship_to_title", "ship_to", "courier", "tracking_barcode",
               "tracking_text", "order_ref", "weight", "qr"]
Kind = Literal["text", "code128", "qr"]


@dataclass(frozen=True)
class LabelElement:
    role: Role
    value: str
    kind: Kind = "text"
    bold: bool = False
    large: bool = False  # double width and height where the printer can
    center: bool = False


@dataclass(frozen=True)
class LabelLayout:
    elements: tuple[LabelElement, ...]
    width_chars: int

    def by_role(self, role: Role) -> list[LabelElement]:
        return [e for e in self.elements if e.role == role]

    @property
    def barcode_value(self) -> str:
        return self.by_role("tracking_barcode")[0].value

    def text_lines(self) -> list[str]:
        return [e.value for e in self.elements if e.kind == "text"]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True) or [""]


def format_weight(grams: float) -> str:
    return f"{grams / 1000:.3f} kg" if grams >= 1000 else f"{grams:.0f} g"


def layout_label(label: LabelData, width_chars: int = 48) -> LabelLayout:
    """Order of elements: courier header, ship-to block, barcode, reference lines, QR."""
    if width_chars < 16:
        raise ValueError("a label needs at least 16 characters per line")
    large_width = width_chars // 2
    elements: list[LabelElement] = []
    for line in _wrap(label.courier.upper(), large_width):
        elements.append(LabelElement("header", line, bold=True, large=True, center=True))
    for line in _wrap(label.service, width_chars):
        elements.append(LabelElement("courier", line, center=True))
    elements.append(LabelElement("ship_to_title", "SHIP TO:", bold=True))
    for i, address_line in enumerate(label.ship_to):
        for line in _wrap(address_line, large_width if i == 0 else width_chars):
            elements.append(LabelElement("ship_to", line, bold=i == 0, large=i == 0))
    elements.append(LabelElement("tracking_barcode", label.tracking_number, kind="code128",
                                 center=True))
    elements.append(LabelElement("tracking_text", label.tracking_number, bold=True,
                                 center=True))
    for line in _wrap(f"Order: {label.order_ref}", width_chars):
        elements.append(LabelElement("order_ref", line))
    elements.append(LabelElement("weight", f"Weight: {format_weight(label.weight_g)}"))
    if label.qr:
        elements.append(LabelElement("qr", label.qr, kind="qr", center=True))
    return LabelLayout(elements=tuple(elements), width_chars=width_chars)
