"""The scaled demo warehouse: N pick zones of two aisles each, every zone stocking its own copy
of the seed products, and the route figures (hub routing vs S-shape) for the same picks."""

from __future__ import annotations

import copy
from typing import Any

from hub.routing.layout import Layout, layout_from_dict
from hub.routing.route import plan_route

AISLES_PER_ZONE = 2


def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def scaled_layout(zones: int) -> Layout:
    aisles = zones * AISLES_PER_ZONE
    names = [f"A{i:02d}" for i in range(1, aisles + 1)]
    return layout_from_dict({
        "aisles": aisles, "bays_per_block": 10, "levels": 1,
        "zones": {f"Z{z + 1:02d}": names[z * AISLES_PER_ZONE:(z + 1) * AISLES_PER_ZONE]
                  for z in range(zones)}})


def scaled_seed(seed: dict[str, Any], zones: int, orders: int) -> dict[str, Any]:
    """Locations and stock spread over the zones: each zone holds one copy of every seed
    product at its own locations, stocked for the whole run."""
    layout = scaled_layout(zones)
    out = copy.deepcopy(seed)
    out["zones"], out["locations"], out["skus"] = {}, [], []
    stock = 20 + 4 * orders // zones
    for z in range(zones):
        zone = f"Z{z + 1:02d}"
        codes = []
        for n, item in enumerate(seed["skus"]):
            aisle = z * AISLES_PER_ZONE + n % AISLES_PER_ZONE
            code = layout.code(aisle, 1 + 3 * (n // AISLES_PER_ZONE))
            codes.append(code)
            out["locations"].append({"code": code, "pick_sequence": len(out["locations"]) + 1,
                                     "zone": zone})
            out["skus"].append({**item, "sku": f"{item['sku']}-{zone}", "location": code,
                                "barcode": ean13(f"20{z + 1:04d}{n:06d}"), "stock": stock})
        out["zones"][zone] = codes
    return out


def route_figures(layout: Layout, picks: list[list[str]]) -> tuple[float, float]:
    """Metres walked with the hub's routing and with S-shape, summed over the zone trips."""
    routed = s_shape = 0.0
    for codes in picks:
        routed += plan_route(layout, codes, "auto").total_m
        s_shape += plan_route(layout, codes, "s_shape").total_m
    return routed, s_shape
