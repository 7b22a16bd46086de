"""Route a pick list: the front door of hub.routing.

``plan_route`` picks the method: the Ratliff-Rosenthal programme on single-block rectangular
layouts (exact), Held-Karp up to 12 stops (exact), otherwise the compiled iterated local search
of ``hub.routing.search`` from nearest neighbour. Several picks at one walking position are
one stop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from hub.errors import InvalidInput
from hub.routing import exact, local_search, policies, search, single_block
from hub.routing.distance import AisleGraph, stop_matrix
from hub.routing.layout import FloatArray, Layout, Points

Method = Literal["auto", "exact", "single_block", "local_search", "s_shape", "return",
                 "midpoint", "largest_gap"]
EXACT_UP_TO = 12


@dataclass(frozen=True)
class Stop:
    code: str
    index: int  # position of the code in the request
    leg_m: float
    cumulative_m: float


@dataclass(frozen=True)
class Route:
    stops: list[Stop]
    return_leg_m: float
    total_m: float
    method: str


def default_budget_s(n: int) -> float:
    """Time cap of routing n distinct stops, distance matrix included (the search usually stops
    earlier, on its kick count): inside the latency targets with room for a loaded machine."""
    return float(np.interp(n, [10, 20, 50, 100, 200], [0.004, 0.006, 0.015, 0.035, 0.100]))


def default_kicks(n: int) -> int:
    """Double-bridge kicks for n distinct stops (tuned on the bench's 2- and 3-block cells)."""
    return int(np.interp(n, [10, 20, 50, 100, 200], [100, 300, 1000, 3000, 10000]))


def solve_positions(layout: Layout, points: Points, method: Method = "auto",
                    budget_s: float | None = None, seed: int = 0,
                    graph: AisleGraph | None = None) -> tuple[list[int], FloatArray, str]:
    """Order of distinct positions (indices into ``points``), the stop matrix, the method used.
    ``budget_s`` caps the whole call, distance matrix included, like a peer solver's budget."""
    started = time.perf_counter()
    dist = stop_matrix(layout, points, graph)
    n = len(points)
    if method == "auto":
        if layout.blocks == 1 and layout.rectangular:
            method = "single_block"
        elif n <= EXACT_UP_TO:
            method = "exact"
        else:
            method = "local_search"
    if method == "single_block" and not (layout.blocks == 1 and layout.rectangular):
        raise InvalidInput("method single_block needs a one-block layout without obstacles")
    if method == "exact" and n > exact.HELD_KARP_MAX:
        raise InvalidInput(f"method exact takes at most {exact.HELD_KARP_MAX} distinct "
                           f"locations, got {n}; use auto")
    if method == "single_block":
        order, _ = single_block.shortest_tour(layout, points)
    elif method == "exact":
        order = [i - 1 for i in search.held_karp(dist)[0]]
    elif method == "local_search":
        kicks = default_kicks(n) if budget_s is None else 10**9  # an explicit budget: use it
        start = search.nearest_neighbour(dist)
        budget = (default_budget_s(n) if budget_s is None else budget_s) - (
            time.perf_counter() - started)
        if not layout.config.one_way:  # a symmetric matrix (up to rounding)
            tour = search.solve(dist, start, budget, kicks=kicks, patience=kicks, seed=seed)
            order = [int(i) - 1 for i in tour[1:]]
        else:  # one-way aisles: the numpy search prices reversals exactly
            starts = [start]
            for policy in (policies.s_shape, policies.largest_gap):
                starts.append(np.array([0, *(i + 1 for i in policy(layout, points))],
                                       dtype=np.int64))
            tour = local_search.improve(dist, starts, budget, seed=seed)
            order = [int(i) - 1 for i in tour[1:]]
    else:
        order = policies.POLICIES[method](layout, points)
    return order, dist, method


def plan_route(layout: Layout, codes: list[str], method: Method = "auto",
               budget_s: float | None = None, graph: AisleGraph | None = None) -> Route:
    """The walking order of ``codes`` from the depot and back, with cumulative distances."""
    points = layout.locate(codes)
    keys = list(zip(points.aisle.tolist(), points.y.tolist(), strict=True))
    distinct = list(dict.fromkeys(keys))
    position_of = {key: i for i, key in enumerate(distinct)}
    unique = Points(np.array([k[0] for k in distinct], dtype=np.int64),
                    np.array([k[1] for k in distinct], dtype=np.float64))
    order, dist, used = solve_positions(layout, unique, method, budget_s, graph=graph)
    members: dict[int, list[int]] = {}
    for idx, key in enumerate(keys):
        members.setdefault(position_of[key], []).append(idx)
    stops: list[Stop] = []
    here, total = 0, 0.0
    for pos in order:
        leg = float(dist[here, pos + 1])
        for idx in sorted(members[pos], key=lambda i: codes[i]):
            total += leg
            stops.append(Stop(codes[idx], idx, leg, total))
            leg = 0.0
        here = pos + 1
    back = float(dist[here, 0])
    return Route(stops, back, total + back, used)
