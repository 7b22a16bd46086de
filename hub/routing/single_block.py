"""Ratliff & Rosenthal (1983): the shortest pick tour in a single-block warehouse, exactly.

The tour is built as a multigraph of aisle and cross-aisle edges, aisle by aisle from left to
right. A partial graph is summarised by the degree of the top (a) and bottom (b) node of the
current aisle (0, odd, even > 0), whether a and b are already connected, and whether a finished
component was closed off. Those few states make the dynamic programme linear in the number
of aisles. The chosen multigraph is Eulerian; walking it from the depot gives the pick order.

The state transitions are tabulated here once, at import; the programme over the aisles and
the Euler walk run compiled (``hub.routing.single_block_kernels``).
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from hub.routing import single_block_kernels as compiled
from hub.routing.layout import Layout, Points

ZERO, ODD, EVEN = 0, 1, 2
State = tuple[int, int, bool, bool]  # (deg a, deg b, a~b connected, closed)
# how an aisle can be walked, in the kernels' numbering: (edges added at a, at b, joins a and b)
WAYS = {compiled.NONE: (0, 0, False), compiled.TRAVERSE: (1, 1, True),
        compiled.DOUBLE: (2, 2, True), compiled.TOP: (2, 0, False),
        compiled.BOTTOM: (0, 2, False), compiled.GAP: (2, 2, False)}


def _combine(deg: int, added: int) -> int:
    if deg == ZERO and added == 0:
        return ZERO
    return ODD if (deg % 2 + added) % 2 else EVEN


def _after_vertical(state: State, to_a: int, to_b: int, connects: bool) -> State | None:
    pa, pb, same, closed = state
    if closed and (to_a or to_b):
        return None
    na, nb = _combine(pa, to_a), _combine(pb, to_b)
    joined = connects or (pa != ZERO and pb != ZERO and same)
    return (na, nb, joined and na != ZERO and nb != ZERO, closed)


def _after_horizontal(state: State, t: int, u: int, depot_here: bool) -> State | None:
    pa, pb, same, closed = state
    if (pa == ODD) != (t == 1) or (pb == ODD) != (u == 1):
        return None  # a and b are final now: their degree must be even
    if depot_here and pb == ZERO and u == 0:
        return None
    if closed:
        return state if t == u == 0 else None
    label_a = "a" if pa != ZERO else None
    label_b = ("a" if same else "b") if pb != ZERO else None
    new_a = (label_a or "new_a") if t else None
    new_b = (label_b or "new_b") if u else None
    existing = {label for label in (label_a, label_b) if label}
    kept = {label for label in (new_a, new_b) if label}
    lost = existing - kept
    if lost:
        if len(existing) == 1 and not kept:
            return (ZERO, ZERO, False, True)
        return None
    return (_combine(ZERO, t), _combine(ZERO, u), new_a is not None and new_a == new_b, False)


def _final_ok(state: State, depot_here: bool) -> bool:
    pa, pb, same, closed = state
    if pa == ODD or pb == ODD or (depot_here and pb == ZERO):
        return False
    if closed:
        return pa == pb == ZERO
    return (pa != ZERO or pb != ZERO) and (same or pa == ZERO or pb == ZERO)


def _tables() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Every state's successor after each way of walking an aisle, after each pair of
    cross-aisle edge copies (3 * back + front) away from or at the depot aisle (-1: not
    allowed), and whether it may end the tour (away from or at the depot aisle)."""
    index = {state: i for i, state in enumerate(STATES)}

    def row(state: State | None) -> int:
        return -1 if state is None else index[state]

    v_next = np.array([[row(_after_vertical(s, *WAYS[kind])) for kind in range(6)]
                       for s in STATES], dtype=np.int64)
    h_next = np.array([[[row(_after_horizontal(s, tu // 3, tu % 3, depot_here=bool(here)))
                         for here in (0, 1)] for tu in range(9)] for s in STATES],
                      dtype=np.int64)
    final_ok = np.array([[_final_ok(s, depot_here=bool(here)) for here in (0, 1)]
                         for s in STATES], dtype=np.bool_)
    return v_next, h_next, final_ok


STATES: list[State] = [(a, b, same, closed) for a, b, same, closed
                       in itertools.product((ZERO, ODD, EVEN), (ZERO, ODD, EVEN),
                                            (False, True), (False, True))]
V_NEXT, H_NEXT, FINAL_OK = _tables()
START = STATES.index((ZERO, ZERO, False, False))


def shortest_tour(layout: Layout, stops: Points) -> tuple[list[int], float]:
    """Optimal visiting order of ``stops`` (indices) from and back to the depot, and its length.
    Stops at one walking position are visited together, in index order."""
    if layout.blocks != 1:
        raise ValueError("the Ratliff-Rosenthal programme needs a single-block layout")
    if len(stops) == 0:
        return [], 0.0
    bottom, top = float(layout.cross_y[0]), float(layout.cross_y[1])
    lo = min(int(stops.aisle.min()), layout.depot_aisle)
    hi = max(int(stops.aisle.max()), layout.depot_aisle)
    m = hi - lo + 1
    n = len(stops)
    by_position = np.lexsort((stops.y, stops.aisle))  # stable: ties keep index order
    starts = np.empty(n, dtype=np.int64)
    counts = np.empty(m, dtype=np.int64)
    offsets = np.empty(m, dtype=np.int64)
    ys = np.empty(n, dtype=np.float64)
    count = compiled.group_positions(np.ascontiguousarray(stops.aisle - lo, dtype=np.int64),
                                     np.ascontiguousarray(stops.y, dtype=np.float64),
                                     by_position, starts, counts, offsets, ys)
    cost = np.empty((m, 6), dtype=np.float64)
    gap_after = np.empty(m, dtype=np.int64)
    compiled.aisle_costs(ys[:count], counts, offsets, bottom, top, cost, gap_after)
    width = np.ascontiguousarray(np.diff(layout.aisle_x[lo:hi + 1]), dtype=np.float64)
    kinds = np.empty(m, dtype=np.int64)
    crossings = np.empty(max(m - 1, 0), dtype=np.int64)
    depot = layout.depot_aisle - lo
    length = compiled.programme(cost, width, depot, START, V_NEXT, H_NEXT, FINAL_OK, kinds,
                                crossings)
    positions = np.empty(count, dtype=np.int64)
    found = compiled.walk(kinds, crossings, counts, offsets, gap_after, depot, positions)
    order = np.empty(n, dtype=np.int64)
    visited = compiled.visit_order(by_position, starts, count, positions, found, order)
    return order[:visited].tolist(), float(length)
