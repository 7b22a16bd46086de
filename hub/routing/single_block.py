"""Ratliff & Rosenthal (1983): the shortest pick tour in a single-block warehouse, exactly.

The tour is built as a multigraph of aisle and cross-aisle edges, aisle by aisle from left to
right. A partial graph is summarised by the degree of the top (a) and bottom (b) node of the
current aisle (0, odd, even > 0), whether a and b are already connected, and whether a finished
component was closed off. Those few states make the dynamic programme linear in the number
of aisles. The chosen multigraph is Eulerian; walking it from the depot gives the pick order.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from hub.routing.layout import Layout, Points

ZERO, ODD, EVEN = 0, 1, 2
State = tuple[int, int, bool, bool]  # (deg a, deg b, a~b connected, closed)
Node = tuple[str, int, int]


@dataclass(frozen=True)
class Vertical:
    kind: str  # none | traverse | double | top | bottom | gap
    to_a: int
    to_b: int
    connects: bool
    cost: float
    gap_after: int = -1  # gap: index of the last pick reached from the bottom


def _combine(deg: int, added: int) -> int:
    if deg == ZERO and added == 0:
        return ZERO
    return ODD if (deg % 2 + added) % 2 else EVEN


def _verticals(ys: list[float], bottom: float, top: float) -> list[Vertical]:
    length = top - bottom
    out = [Vertical("traverse", 1, 1, True, length), Vertical("double", 2, 2, True, 2 * length)]
    if not ys:
        return [Vertical("none", 0, 0, False, 0.0), *out]
    out += [Vertical("top", 2, 0, False, 2 * (top - ys[0])),
            Vertical("bottom", 0, 2, False, 2 * (ys[-1] - bottom))]
    if len(ys) >= 2:
        gaps = np.diff(ys)
        i = int(np.argmax(gaps))
        out.append(Vertical("gap", 2, 2, False, 2 * length - 2 * float(gaps[i]), i))
    return out


def _after_vertical(state: State, v: Vertical) -> State | None:
    pa, pb, same, closed = state
    if closed and (v.to_a or v.to_b):
        return None
    na, nb = _combine(pa, v.to_a), _combine(pb, v.to_b)
    joined = v.connects or (pa != ZERO and pb != ZERO and same)
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


def shortest_tour(layout: Layout, stops: Points) -> tuple[list[int], float]:
    """Optimal visiting order of ``stops`` (indices) from and back to the depot, and its length."""
    if layout.blocks != 1:
        raise ValueError("the Ratliff-Rosenthal programme needs a single-block layout")
    if len(stops) == 0:
        return [], 0.0
    bottom, top = float(layout.cross_y[0]), float(layout.cross_y[1])
    depot = layout.depot_aisle
    lo = min(int(stops.aisle.min()), depot)
    hi = max(int(stops.aisle.max()), depot)
    in_aisle: dict[int, dict[float, list[int]]] = defaultdict(lambda: defaultdict(list))
    for idx, (aisle, y) in enumerate(zip(stops.aisle.tolist(), stops.y.tolist(), strict=True)):
        in_aisle[aisle][y].append(idx)
    ys = {j: sorted(in_aisle[j]) for j in range(lo, hi + 1)}

    start: State = (ZERO, ZERO, False, False)
    frontier: dict[State, float] = {start: 0.0}
    trail: list[dict[State, tuple[State, tuple[object, ...]]]] = []
    for j in range(lo, hi + 1):
        nxt: dict[State, float] = {}
        back: dict[State, tuple[State, tuple[object, ...]]] = {}
        for state, cost in frontier.items():
            for v in _verticals(ys[j], bottom, top):
                new = _after_vertical(state, v)
                if new is not None and cost + v.cost < nxt.get(new, np.inf):
                    nxt[new], back[new] = cost + v.cost, (state, ("v", j, v))
        trail.append(back)
        frontier = nxt
        if j == hi:
            break
        width = float(layout.aisle_x[j + 1] - layout.aisle_x[j])
        nxt, back = {}, {}
        for state, cost in frontier.items():
            for t in (0, 1, 2):
                for u in (0, 1, 2):
                    new = _after_horizontal(state, t, u, depot_here=j == depot)
                    total = cost + (t + u) * width
                    if new is not None and total < nxt.get(new, np.inf):
                        nxt[new], back[new] = total, (state, ("h", j, t, u))
        trail.append(back)
        frontier = nxt
    finals = {s: c for s, c in frontier.items() if _final_ok(s, depot_here=hi == depot)}
    best = min(finals, key=lambda s: finals[s])
    decisions = []
    state = best
    for back in reversed(trail):
        state, decision = back[state]
        decisions.append(decision)
    order = _walk(decisions, ys, in_aisle, depot)
    return order, finals[best]


def _walk(decisions: list[tuple[object, ...]], ys: dict[int, list[float]],
          in_aisle: dict[int, dict[float, list[int]]], depot: int) -> list[int]:
    """Euler tour (Hierholzer) of the chosen multigraph from the depot; picks by first visit."""
    adj: dict[Node, list[tuple[Node, int]]] = defaultdict(list)
    edge_count = 0

    def add(u: Node, v: Node, copies: int) -> None:
        nonlocal edge_count
        for _ in range(copies):
            adj[u].append((v, edge_count))
            adj[v].append((u, edge_count))
            edge_count += 1

    def chain(nodes: list[Node], copies: int) -> None:
        for u, v in itertools.pairwise(nodes):
            add(u, v, copies)

    for decision in decisions:
        if decision[0] == "h":
            _, j, t, u = decision
            assert isinstance(j, int) and isinstance(t, int) and isinstance(u, int)
            add(("a", j, 0), ("a", j + 1, 0), t)
            add(("b", j, 0), ("b", j + 1, 0), u)
            continue
        _, j, v = decision
        assert isinstance(j, int) and isinstance(v, Vertical)
        picks: list[Node] = [("p", j, r) for r in range(len(ys[j]))]
        a, b = ("a", j, 0), ("b", j, 0)
        if v.kind in ("traverse", "double"):
            chain([b, *picks, a], 1 if v.kind == "traverse" else 2)
        elif v.kind == "top":
            chain([a, *reversed(picks)], 2)
        elif v.kind == "bottom":
            chain([b, *picks], 2)
        elif v.kind == "gap":
            chain([b, *picks[: v.gap_after + 1]], 2)
            chain([*picks[v.gap_after + 1:], a], 2)
    used = [False] * edge_count
    stack: list[Node] = [("b", depot, 0)]
    circuit: list[Node] = []
    while stack:
        u = stack[-1]
        while adj[u] and used[adj[u][-1][1]]:
            adj[u].pop()
        if adj[u]:
            v, e = adj[u].pop()
            used[e] = True
            stack.append(v)
        else:
            circuit.append(stack.pop())
    order: list[int] = []
    seen: set[Node] = set()
    for node in reversed(circuit):
        if node[0] == "p" and node not in seen:
            seen.add(node)
            order.extend(in_aisle[node[1]][ys[node[1]][node[2]]])
    return order
