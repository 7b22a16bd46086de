"""Batching: group orders into picker trips by zone and cart capacity (put-to-light carts).

Each order's picks are split by pick zone first (a zone's device gets its own list). Within
a zone, trips are built by seed and closest-order: the order whose picks lie farthest from
the depot opens a trip, then the order closest to the trip's picks (sum of each pick's walk to
its nearest pick already on the trip) joins, while the cart has a free tote slot and units
room. Then orders are moved or swapped between trips while that shortens the total walk
(waves up to EXCHANGE_MAX orders per zone). Every trip is routed; each order on it gets a
tote slot (1, 2, ...).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from hub.errors import InvalidInput
from hub.routing.distance import AisleGraph, closed_form, concat
from hub.routing.layout import Layout, Points
from hub.routing.route import Route, plan_route

EXCHANGE_MAX = 60


@dataclass(frozen=True)
class OrderPicks:
    order_id: str
    locations: list[str]
    units: int = 1


@dataclass(frozen=True)
class Trip:
    zone: str | None
    tote_of: dict[str, int]  # order id -> tote slot, 1-based
    route: Route


def split_by_zone(layout: Layout, locations: list[str]) -> dict[str | None, list[str]]:
    """Locations grouped by pick zone (None: an aisle in no zone)."""
    zones: dict[str | None, list[str]] = {}
    for code in locations:
        zones.setdefault(layout.zone_of(code), []).append(code)
    return zones


def plan_trips(layout: Layout, orders: list[OrderPicks], totes: int,
               units_per_trip: int | None = None) -> list[Trip]:
    """Picker trips for ``orders``: at most ``totes`` orders and ``units_per_trip`` units each."""
    if totes < 1:
        raise InvalidInput("a cart needs at least one tote slot")
    ids = [o.order_id for o in orders]
    if len(set(ids)) != len(ids):
        raise InvalidInput("each order may appear once in a wave")
    graph = None if layout.rectangular else AisleGraph(layout)
    by_zone: dict[str | None, list[OrderPicks]] = {}
    for order in orders:
        if not order.locations:
            raise InvalidInput(f"order {order.order_id} has no picks")
        if units_per_trip is not None and order.units > units_per_trip:
            raise InvalidInput(f"order {order.order_id} has {order.units} units; a trip holds "
                               f"{units_per_trip}")
        for zone, codes in split_by_zone(layout, order.locations).items():
            by_zone.setdefault(zone, []).append(OrderPicks(order.order_id, codes, order.units))
    trips: list[Trip] = []
    for zone in sorted(by_zone, key=lambda z: (z is None, z or "")):
        groups = _group(layout, by_zone[zone], totes, units_per_trip, graph)
        for group in _exchange(layout, groups, totes, units_per_trip, graph):
            codes = [code for order in group for code in order.locations]
            tote_of = {order.order_id: slot for slot, order in enumerate(group, start=1)}
            trips.append(Trip(zone, tote_of, plan_route(layout, codes, graph=graph)))
    return trips


def _group(layout: Layout, orders: list[OrderPicks], totes: int, units: int | None,
           graph: AisleGraph | None) -> list[list[OrderPicks]]:
    points = [layout.locate(o.locations) for o in orders]
    depot = layout.depot()

    def far(i: int) -> float:
        if graph is not None:
            return float(graph.matrix(concat(depot, points[i]))[0].max())
        return float(closed_form(layout, depot, points[i]).max())

    left = set(range(len(orders)))
    groups: list[list[OrderPicks]] = []
    while left:
        seed = max(sorted(left), key=far)
        trip, load = [seed], orders[seed].units
        left.discard(seed)
        while left and len(trip) < totes:
            fits = [i for i in sorted(left) if units is None or load + orders[i].units <= units]
            if not fits:
                break
            on_trip = concat(*(points[i] for i in trip))
            best = min(fits, key=lambda i: _closeness(layout, points[i], on_trip, graph))
            trip.append(best)
            load += orders[best].units
            left.discard(best)
        groups.append([orders[i] for i in trip])
    return groups


def _closeness(layout: Layout, candidate: Points, on_trip: Points,
               graph: AisleGraph | None) -> float:
    if graph is not None:
        both = concat(candidate, on_trip)
        dist = graph.matrix(both)[: len(candidate), len(candidate):]
    else:
        dist = closed_form(layout, candidate, on_trip)
    return float(np.min(dist, axis=1).sum())


def _exchange(layout: Layout, groups: list[list[OrderPicks]], totes: int, units: int | None,
              graph: AisleGraph | None) -> list[list[OrderPicks]]:
    """Move or swap orders between trips while the summed route length falls."""
    if sum(len(g) for g in groups) > EXCHANGE_MAX or len(groups) < 2:
        return groups
    cache: dict[frozenset[str], float] = {}

    def walk(group: list[OrderPicks]) -> float:
        key = frozenset(o.order_id for o in group)
        if key not in cache:
            codes = [c for o in group for c in o.locations]
            cache[key] = plan_route(layout, codes, budget_s=0.002, graph=graph).total_m \
                if codes else 0.0
        return cache[key]

    def fits(group: list[OrderPicks]) -> bool:
        return len(group) <= totes and (units is None or sum(o.units for o in group) <= units)

    def step() -> bool:
        for a, b in itertools.permutations(range(len(groups)), 2):
            before = walk(groups[a]) + walk(groups[b])
            for i, order in enumerate(groups[a]):
                rest = groups[a][:i] + groups[a][i + 1:]
                options = [(rest, [*groups[b], order])]
                options += [([*rest, other], [*groups[b][:j], order, *groups[b][j + 1:]])
                            for j, other in enumerate(groups[b])]
                for new_a, new_b in options:
                    if fits(new_a) and fits(new_b) and \
                            walk(new_a) + walk(new_b) < before - 1e-9:
                        groups[a], groups[b] = new_a, new_b
                        return True
        return False

    while step():
        pass
    return [g for g in groups if g]
