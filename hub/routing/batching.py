"""Batching: group orders into picker trips by zone and cart capacity (put-to-light carts).

Each order's picks are split by pick zone first (a zone's device gets its own list). Within
a zone, trips are built by seed and closest-order: the order whose picks lie farthest from
the depot opens a trip, then the order closest to the trip's picks (sum of each pick's walk to
its nearest pick already on the trip) joins, while the cart has a free tote slot and units
room. In large waves only the POOL orders nearest the seed are candidates, so thousands of
orders batch in a fraction of a second. Then orders are moved or swapped between trips while
that shortens the total walk (waves up to EXCHANGE_MAX orders per zone). Every trip is
routed; each order on it gets a tote slot (1, 2, ...)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from hub.errors import InvalidInput
from hub.routing.distance import AisleGraph, closed_form, concat
from hub.routing.layout import FloatArray, Layout, Points
from hub.routing.route import Route, Stop, plan_route

EXCHANGE_MAX = 60
POOL = 32  # candidate orders per trip in large waves


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
    """Picker trips for ``orders``: at most ``totes`` orders and ``units_per_trip`` units each,
    split by the layout's pick zones."""
    by_zone: dict[str | None, list[OrderPicks]] = {}
    for order in orders:
        if not order.locations:
            raise InvalidInput(f"order {order.order_id} has no picks")
        for zone, codes in split_by_zone(layout, order.locations).items():
            by_zone.setdefault(zone, []).append(OrderPicks(order.order_id, codes, order.units))
    graph = None if layout.rectangular else AisleGraph(layout)
    _check(orders, totes, units_per_trip)
    trips: list[Trip] = []
    for zone in sorted(by_zone, key=lambda z: (z is None, z or "")):
        trips += plan_zone_trips(layout, zone, by_zone[zone], totes, units_per_trip, graph)
    return trips


def _check(orders: list[OrderPicks], totes: int, units_per_trip: int | None) -> None:
    if totes < 1:
        raise InvalidInput("a cart needs at least one tote slot")
    if units_per_trip is not None and units_per_trip < 1:
        raise InvalidInput("units_per_trip must be at least 1")
    ids = [o.order_id for o in orders]
    if len(set(ids)) != len(ids):
        raise InvalidInput("each order may appear once in a wave")
    for order in orders:
        if not order.locations:
            raise InvalidInput(f"order {order.order_id} has no picks")
        if units_per_trip is not None and order.units > units_per_trip:
            raise InvalidInput(f"order {order.order_id} has {order.units} units; a trip holds "
                               f"{units_per_trip}")


def plan_zone_trips(layout: Layout, zone: str | None, orders: list[OrderPicks], totes: int,
                    units_per_trip: int | None = None, graph: AisleGraph | None = None,
                    route: bool = True) -> list[Trip]:
    """Trips for the orders of one zone (each order's picks all in that zone). With
    ``route=False`` each trip keeps its picks in tote order (for timing the batching alone)."""
    _check(orders, totes, units_per_trip)
    if graph is None and not layout.rectangular:
        graph = AisleGraph(layout)
    groups = _group(layout, orders, totes, units_per_trip, graph)
    trips = []
    for group in _exchange(layout, groups, totes, units_per_trip, graph):
        codes = [code for order in group for code in order.locations]
        tote_of = {order.order_id: slot for slot, order in enumerate(group, start=1)}
        trips.append(Trip(zone, tote_of, plan_route(layout, codes, graph=graph) if route
                          else _unrouted(codes)))
    return trips


def _unrouted(codes: list[str]) -> Route:
    return Route([Stop(code, i, 0.0, 0.0) for i, code in enumerate(codes)], 0.0, 0.0, "none")


def _distances(layout: Layout, a: Points, b: Points, graph: AisleGraph | None) -> FloatArray:
    if graph is None:
        return closed_form(layout, a, b)
    return graph.matrix(concat(a, b))[: len(a), len(a):]


def _group(layout: Layout, orders: list[OrderPicks], totes: int, units: int | None,
           graph: AisleGraph | None) -> list[list[OrderPicks]]:
    """Seed and closest-order. The seed is the untaken order farthest from the depot; the
    candidates for its trip are the POOL untaken orders nearest to it (by the straight-line
    distance between the orders' mean positions: all of them in waves up to POOL orders),
    ranked exactly by walking distance to the picks already on the trip, kept up to date as
    orders join."""
    n = len(orders)
    counts = np.fromiter((len(o.locations) for o in orders), dtype=np.int64, count=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    points = layout.locate([code for o in orders for code in o.locations])
    far = np.maximum.reduceat(_distances(layout, layout.depot(), points, graph)[0], starts)
    x = layout.aisle_x[points.aisle]
    mean_x = np.add.reduceat(x, starts) / counts
    mean_y = np.add.reduceat(points.y, starts) / counts
    load = np.fromiter((o.units for o in orders), dtype=np.int64, count=n)
    taken = np.zeros(n, dtype=bool)
    groups: list[list[OrderPicks]] = []
    for seed in np.argsort(-far, kind="stable"):
        if taken[seed]:
            continue
        taken[seed] = True
        trip, trip_load = [int(seed)], int(load[seed])
        free = np.flatnonzero(~taken)
        if len(free) > POOL:
            near = np.abs(mean_x[free] - mean_x[seed]) + np.abs(mean_y[free] - mean_y[seed])
            free = np.sort(free[np.argpartition(near, POOL)[:POOL]])
        if len(free) and totes > 1:
            sizes = counts[free]
            local_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
            pick_idx = np.repeat(starts[free] - local_starts, sizes) + np.arange(sizes.sum())
            pool_points = Points(points.aisle[pick_idx], points.y[pick_idx])
            seed_points = _slice(points, int(starts[seed]), int(counts[seed]))
            # one matrix per trip: pool picks x (seed picks, pool picks)
            dist = _distances(layout, pool_points, concat(seed_points, pool_points), graph)
            nearest = dist[:, : len(seed_points)].min(axis=1)
            offset = len(seed_points)
            open_ = np.ones(len(free), dtype=bool)
            while len(trip) < totes:
                fits = open_ if units is None else open_ & (trip_load + load[free] <= units)
                if not fits.any():
                    break
                closeness = np.add.reduceat(nearest, local_starts)
                closeness[~fits] = np.inf
                best = int(np.argmin(closeness))
                chosen = int(free[best])
                open_[best] = False
                taken[chosen] = True
                trip.append(chosen)
                trip_load += int(load[chosen])
                cols = offset + local_starts[best] + np.arange(sizes[best])
                nearest = np.minimum(nearest, dist[:, cols].min(axis=1))
        groups.append([orders[i] for i in trip])
    return groups


def _slice(points: Points, start: int, count: int) -> Points:
    return Points(points.aisle[start:start + count], points.y[start:start + count])


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
