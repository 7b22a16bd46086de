"""Walking distances between the stops of one pick list (never the whole warehouse).

Rectangular layouts use a vectorised closed form: between different aisles a picker walks
|dx| along one cross-aisle plus the shortest vertical detour through some cross-aisle;
within one aisle the straight |dy|. Irregular layouts (blocked segments, one-way aisles)
use Dijkstra on the aisle/cross-aisle graph from each stop only.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np

from hub.errors import InvalidInput
from hub.routing import kernels
from hub.routing.layout import FloatArray, IntArray, Layout, Points


def closed_form(layout: Layout, a: Points, b: Points) -> FloatArray:
    """|a| x |b| matrix of shortest walks in a rectangular multi-block layout (compiled: one
    n x n loop instead of a dozen n x n numpy temporaries)."""
    out = np.empty((len(a), len(b)), dtype=np.float64)
    columns_a = _columns(layout, a)
    columns_b = columns_a if b is a else _columns(layout, b)
    kernels.closed_form(*columns_a, *columns_b, np.ascontiguousarray(layout.aisle_x),
                        np.ascontiguousarray(layout.cross_y), out)
    return out


def _columns(layout: Layout, p: Points) -> tuple[IntArray, FloatArray, IntArray]:
    """Aisle, y and block of each position, as the kernel takes them."""
    return (np.ascontiguousarray(p.aisle, dtype=np.int64),
            np.ascontiguousarray(p.y, dtype=np.float64), layout.block_of(p.y))


def concat(*parts: Points) -> Points:
    return Points(np.concatenate([p.aisle for p in parts]), np.concatenate([p.y for p in parts]))


class AisleGraph:
    """Graph of walking positions: every bay front and cross-aisle crossing of every aisle."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        bays = np.arange(1, layout.total_bays + 1, dtype=np.int64)
        self.ys = np.unique(np.concatenate([layout.bay_y(bays), layout.cross_y]))
        self.rows = len(self.ys)
        self.adj: dict[int, list[tuple[int, float]]] = defaultdict(list)
        c = layout.config
        blocked: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for seg in c.blocked:
            lo, hi = layout.bay_y(np.array([seg.from_bay, seg.to_bay], dtype=np.int64))
            blocked[layout.aisle_names.index(seg.aisle)].append((float(lo), float(hi)))
        for aisle, name in enumerate(layout.aisle_names):
            direction = c.one_way.get(name)
            for r in range(self.rows - 1):
                y0, y1 = float(self.ys[r]), float(self.ys[r + 1])
                if any(lo <= y0 and y1 <= hi for lo, hi in blocked[aisle]):
                    continue
                u, v, w = self.node(aisle, r), self.node(aisle, r + 1), y1 - y0
                if direction != "down":
                    self.adj[u].append((v, w))
                if direction != "up":
                    self.adj[v].append((u, w))
        cross_rows = np.searchsorted(self.ys, layout.cross_y)
        for r in cross_rows:
            for aisle in range(len(layout.aisle_names) - 1):
                u, v = self.node(aisle, int(r)), self.node(aisle + 1, int(r))
                w = float(layout.aisle_x[aisle + 1] - layout.aisle_x[aisle])
                self.adj[u].append((v, w))
                self.adj[v].append((u, w))

    def node(self, aisle: int, row: int) -> int:
        return aisle * self.rows + row

    def nodes_of(self, points: Points) -> list[int]:
        rows = np.searchsorted(self.ys, points.y)
        return [self.node(int(a), int(r)) for a, r in zip(points.aisle, rows, strict=True)]

    def shortest_from(self, source: int, targets: set[int]) -> dict[int, float]:
        """Dijkstra from one node, stopping once every target is settled."""
        dist = {source: 0.0}
        settled: dict[int, float] = {}
        heap = [(0.0, source)]
        remaining = set(targets)
        while heap and remaining:
            d, u = heapq.heappop(heap)
            if u in settled:
                continue
            settled[u] = d
            remaining.discard(u)
            for v, w in self.adj[u]:
                nd = d + w
                if nd < dist.get(v, np.inf):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        return settled

    def matrix(self, points: Points) -> FloatArray:
        nodes = self.nodes_of(points)
        wanted = set(nodes)
        out = np.empty((len(nodes), len(nodes)), dtype=np.float64)
        cache: dict[int, dict[int, float]] = {}
        for i, u in enumerate(nodes):
            if u not in cache:
                cache[u] = self.shortest_from(u, wanted)
            row = cache[u]
            for j, v in enumerate(nodes):
                if v not in row:
                    raise InvalidInput(self._unreachable(points, i, j))
                out[i, j] = row[v]
        return out

    def _unreachable(self, points: Points, i: int, j: int) -> str:
        names = self.layout.aisle_names
        return (f"no walkable path from aisle {names[int(points.aisle[i])]} y={points.y[i]:.1f} m "
                f"to aisle {names[int(points.aisle[j])]} y={points.y[j]:.1f} m "
                "(blocked segments or one-way aisles cut it off)")


def stop_matrix(layout: Layout, stops: Points, graph: AisleGraph | None = None) -> FloatArray:
    """Distances between the depot (row/column 0) and the given stops (1..n)."""
    points = concat(layout.depot(), stops)
    if layout.rectangular:
        return closed_form(layout, points, points)
    return (graph or AisleGraph(layout)).matrix(points)
