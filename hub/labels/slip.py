"""Packing slip rendered from a Jinja2 template, as text for the bench printer."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

_env = Environment(loader=PackageLoader("hub.labels", "templates"), undefined=StrictUndefined,
                   keep_trailing_newline=True, autoescape=False)


def packing_slip(order: Any, shipment: Any | None, width: int = 48) -> str:
    keys = ("name", "company", "line1", "line2", "city", "postcode", "country")
    address = [str(order.ship_to[k]) for k in keys if order.ship_to.get(k)]
    return _env.get_template("packing_slip.txt.j2").render(
        order=order, shipment=shipment, width=width, address=address)


def slip_escpos(text: str, escpos_profile: str = "TM-T20II", cut: bool = True) -> bytes:
    from escpos.printer import Dummy

    printer = Dummy(profile=escpos_profile)
    printer.text(text)
    if cut:
        printer.cut()
    return bytes(printer.output)
