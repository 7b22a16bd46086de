"""Compiled parts of the single-block programme (numba): the aisle-by-aisle dynamic programme
over tabulated state transitions, and the Euler walk of the multigraph it chooses.

Aisles are numbered 0..m-1 from the leftmost one the tour needs. Nodes of the multigraph: the
back end of aisle j is ``j`` (called a), its front end ``m + j`` (b), the k-th distinct pick
position ``2m + k`` (positions sorted by aisle, then from the front). Like ``kernels.py``,
every function has an explicit signature (compiled on first import, cached on disk) and the
module is left out of ``mypy --strict``; ``hub.routing.single_block`` is its typed front door.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NONE, TRAVERSE, DOUBLE, TOP, BOTTOM, GAP = range(6)  # how an aisle is walked


@njit("void(float64[::1], int64[::1], int64[::1], float64, float64, float64[:, ::1], "
      "int64[::1])", cache=True)
def aisle_costs(ys, counts, offsets, bottom, top, cost, gap_after):
    """cost[j, kind]: the walking an aisle costs done that way (inf: not a way for it);
    gap_after[j]: the last pick reached from the front when the largest gap is left out."""
    length = top - bottom
    for j in range(counts.shape[0]):
        c, o = counts[j], offsets[j]
        for kind in range(6):
            cost[j, kind] = np.inf
        cost[j, TRAVERSE] = length
        cost[j, DOUBLE] = 2.0 * length
        gap_after[j] = -1
        if c == 0:
            cost[j, NONE] = 0.0
            continue
        cost[j, TOP] = 2.0 * (top - ys[o])
        cost[j, BOTTOM] = 2.0 * (ys[o + c - 1] - bottom)
        if c >= 2:
            widest, at = -1.0, 0
            for r in range(c - 1):
                g = ys[o + r + 1] - ys[o + r]
                if g > widest:
                    widest, at = g, r
            cost[j, GAP] = 2.0 * length - 2.0 * widest
            gap_after[j] = at


@njit("float64(float64[:, ::1], float64[::1], int64, int64, int64[:, ::1], int64[:, :, ::1], "
      "boolean[:, ::1], int64[::1], int64[::1])", cache=True)
def programme(cost, width, depot, start, v_next, h_next, final_ok, kinds, crossings):
    """The least total walk over aisles 0..m-1: each aisle's way (``kinds``) and the copies of
    the back and front cross-aisle edge after it (``crossings``: 3 * back + front). States are
    the rows of the transition tables; -1 there means the move is not allowed."""
    m, states = cost.shape[0], v_next.shape[0]
    back_v = np.full((m, states), -1, dtype=np.int64)
    way_v = np.full((m, states), -1, dtype=np.int64)
    back_h = np.full((m, states), -1, dtype=np.int64)
    way_h = np.full((m, states), -1, dtype=np.int64)
    here = np.full(states, np.inf)
    here[start] = 0.0
    nxt = np.empty(states)
    for j in range(m):
        nxt[:] = np.inf
        for s in range(states):
            if here[s] == np.inf:
                continue
            for kind in range(6):
                c = cost[j, kind]
                ns = v_next[s, kind]
                if c == np.inf or ns < 0:
                    continue
                if here[s] + c < nxt[ns]:
                    nxt[ns] = here[s] + c
                    back_v[j, ns] = s
                    way_v[j, ns] = kind
        here[:] = nxt
        if j == m - 1:
            break
        at_depot = 1 if j == depot else 0
        nxt[:] = np.inf
        for s in range(states):
            if here[s] == np.inf:
                continue
            for tu in range(9):
                ns = h_next[s, tu, at_depot]
                if ns < 0:
                    continue
                total = here[s] + (tu // 3 + tu % 3) * width[j]
                if total < nxt[ns]:
                    nxt[ns] = total
                    back_h[j, ns] = s
                    way_h[j, ns] = tu
        here[:] = nxt
    last_at_depot = 1 if m - 1 == depot else 0
    best, s = np.inf, -1
    for f in range(states):
        if final_ok[f, last_at_depot] and here[f] < best:
            best, s = here[f], f
    for j in range(m - 1, -1, -1):
        kinds[j] = way_v[j, s]
        s = back_v[j, s]
        if j > 0:
            crossings[j - 1] = way_h[j - 1, s]
            s = back_h[j - 1, s]
    return best


@njit("int64(int64[::1], int64[::1], int64, int64, int64, int64)", cache=True)
def _add(eu, ev, count, u, v, copies):
    for _ in range(copies):
        eu[count] = u
        ev[count] = v
        count += 1
    return count


@njit("int64(int64[::1], int64[::1], int64, int64, int64, int64, int64, boolean, int64)",
      cache=True)
def _path(eu, ev, count, first, base, picks, last, backwards, copies):
    """Edges along ``first`` (-1: none), the pick nodes base..base+picks-1 (or backwards), then
    ``last`` (-1: none), each ``copies`` times; returns the new edge count."""
    prev = first
    for r in range(picks):
        node = base + (picks - 1 - r if backwards else r)
        if prev >= 0:
            count = _add(eu, ev, count, prev, node, copies)
        prev = node
    if last >= 0 and prev >= 0:
        count = _add(eu, ev, count, prev, last, copies)
    return count


@njit("int64(int64[::1], int64[::1], int64[::1], int64[::1], int64[::1], int64, int64[::1])",
      cache=True)
def walk(kinds, crossings, counts, offsets, gap_after, depot, order):
    """Pick positions in the order an Euler tour (Hierholzer) of the chosen multigraph from the
    front of the depot aisle first reaches them, into ``order``; returns how many."""
    m = kinds.shape[0]
    picks = 0
    for j in range(m):
        picks += counts[j]
    nodes_total = 2 * m + picks
    most = 4 * (picks + m) + 4 * m
    eu = np.empty(most, dtype=np.int64)
    ev = np.empty(most, dtype=np.int64)
    e = 0
    for j in range(m):
        c, o = counts[j], offsets[j]
        a, b = j, m + j
        kind, base = kinds[j], 2 * m + o
        if kind in (TRAVERSE, DOUBLE):
            e = _path(eu, ev, e, b, base, c, a, False, 1 if kind == TRAVERSE else 2)
        elif kind == TOP:
            e = _path(eu, ev, e, a, base, c, -1, True, 2)
        elif kind == BOTTOM:
            e = _path(eu, ev, e, b, base, c, -1, False, 2)
        elif kind == GAP:
            g = gap_after[j]
            e = _path(eu, ev, e, b, base, g + 1, -1, False, 2)
            e = _path(eu, ev, e, -1, base + g + 1, c - g - 1, a, False, 2)
        if j < m - 1:
            e = _add(eu, ev, e, a, a + 1, crossings[j] // 3)
            e = _add(eu, ev, e, b, b + 1, crossings[j] % 3)
    # adjacency lists (CSR), then Hierholzer from the front of the depot aisle
    degree = np.zeros(nodes_total + 1, dtype=np.int64)
    for k in range(e):
        degree[eu[k] + 1] += 1
        degree[ev[k] + 1] += 1
    for v in range(nodes_total):
        degree[v + 1] += degree[v]
    fill = degree[:-1].copy()
    adj_node = np.empty(2 * e, dtype=np.int64)
    adj_edge = np.empty(2 * e, dtype=np.int64)
    for k in range(e):
        adj_node[fill[eu[k]]] = ev[k]
        adj_edge[fill[eu[k]]] = k
        fill[eu[k]] += 1
        adj_node[fill[ev[k]]] = eu[k]
        adj_edge[fill[ev[k]]] = k
        fill[ev[k]] += 1
    nxt = degree[:-1].copy()
    used = np.zeros(e, dtype=np.bool_)
    stack = np.empty(e + 1, dtype=np.int64)
    circuit = np.empty(e + 1, dtype=np.int64)
    top, length = 0, 0
    stack[0] = m + depot
    top = 1
    while top > 0:
        u = stack[top - 1]
        while nxt[u] < degree[u + 1] and used[adj_edge[nxt[u]]]:
            nxt[u] += 1
        if nxt[u] < degree[u + 1]:
            used[adj_edge[nxt[u]]] = True
            stack[top] = adj_node[nxt[u]]
            top += 1
            nxt[u] += 1
        else:
            circuit[length] = u
            length += 1
            top -= 1
    seen = np.zeros(nodes_total, dtype=np.bool_)
    found = 0
    for r in range(length - 1, -1, -1):
        v = circuit[r]
        if v >= 2 * m and not seen[v]:
            seen[v] = True
            order[found] = v - 2 * m
            found += 1
    return found


@njit("int64(int64[::1], float64[::1], int64[::1], int64[::1], int64[::1], int64[::1], "
      "float64[::1])", cache=True)
def group_positions(aisle, y, by_position, starts, counts, offsets, ys):
    """The distinct walking positions of the stops taken in ``by_position`` order (sorted by
    aisle 0..m-1, then from the front): where each starts in it (``starts``), how many each
    aisle has (``counts``) and where its first is (``offsets``), their y (``ys``). Returns the
    number of positions."""
    counts[:] = 0
    found = 0
    for k in range(by_position.shape[0]):
        i = by_position[k]
        if k == 0 or aisle[i] != aisle[by_position[k - 1]] or y[i] != y[by_position[k - 1]]:
            starts[found] = k
            ys[found] = y[i]
            counts[aisle[i]] += 1
            found += 1
    total = 0
    for j in range(counts.shape[0]):
        offsets[j] = total
        total += counts[j]
    return found


@njit("int64(int64[::1], int64[::1], int64, int64[::1], int64, int64[::1])", cache=True)
def visit_order(by_position, starts, count, positions, found, order):
    """The stops of the first ``found`` positions walked (``positions``), each position's stops
    in ``by_position`` order, into ``order``; returns how many."""
    n = by_position.shape[0]
    out = 0
    for k in range(found):
        p = positions[k]
        end = starts[p + 1] if p + 1 < count else n
        for r in range(starts[p], end):
            order[out] = by_position[r]
            out += 1
    return out
