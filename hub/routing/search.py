"""Iterated local search on a symmetric stop matrix: the typed front door of the compiled
kernels in ``hub.routing.kernels``.

The search stops after ``kicks`` double-bridge kicks, after ``patience`` kicks without a
better tour, or at the time budget, whichever comes first. The clock is read between chunks
of kicks: the first is 4 kicks, each next one at most twice the last, at most 64, and no more
than the time left allows at the pace measured so far, so a budget is overrun by about a
kick's time, not a chunk's. How the kicks are split into chunks does not change what they
do: without the time budget biting, the result depends only on the matrix, the start and the
seed.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from hub.routing import kernels
from hub.routing.layout import FloatArray

IntArray = npt.NDArray[np.int64]
NEIGHBOURS = 10
KICK_SEGMENT = 24  # the double bridge swaps two neighbouring pieces of 1..this many stops
FIRST_CHUNK = 4
CHUNK = 64
SLACK = 0.003  # a kicked tour up to this share longer than the best is still walked from


def neighbour_lists(dist: FloatArray, k: int = NEIGHBOURS) -> IntArray:
    """For each index its k nearest other indices, nearest first (the lower index first among
    equals)."""
    n = dist.shape[0]
    near = np.empty((n, max(1, min(k, n - 1))), dtype=np.int64)
    kernels.neighbour_lists(np.ascontiguousarray(dist, dtype=np.float64), near)
    return near


def nearest_neighbour(dist: FloatArray) -> IntArray:
    """The greedy tour from index 0 (compiled; the same tour as
    ``local_search.nearest_neighbour``)."""
    d = np.ascontiguousarray(dist, dtype=np.float64)
    tour = np.empty(d.shape[0], dtype=np.int64)
    kernels.nearest_neighbour(d, tour)
    return tour


def tour_length(dist: FloatArray, tour: IntArray) -> float:
    return float(kernels.tour_length(np.ascontiguousarray(dist, dtype=np.float64),
                                     np.ascontiguousarray(tour, dtype=np.int64)))


def held_karp(dist: FloatArray) -> tuple[list[int], float]:
    """The proven shortest tour from index 0: (stops 1..n in order, length)."""
    m = dist.shape[0] - 1
    if m <= 0:
        return [], 0.0
    order = np.empty(m, dtype=np.int64)
    length = kernels.held_karp(np.ascontiguousarray(dist, dtype=np.float64), order)
    return [int(i) for i in order], float(length)


def solve(dist: FloatArray, start: IntArray, budget_s: float, *, kicks: int,
          patience: int, seed: int = 0) -> IntArray:
    """A short tour through every index of the symmetric ``dist``, starting at 0, found by
    local search from ``start`` then double-bridge kicks: at most ``kicks`` of them, ending
    after ``patience`` kicks in a row without a better tour. Never longer than ``start``."""
    deadline = time.perf_counter() + budget_s
    d = np.ascontiguousarray(dist, dtype=np.float64)
    n = d.shape[0]
    tour = np.array(start, dtype=np.int64)
    if n <= 3:
        return tour
    near = neighbour_lists(d)
    walked = np.array([kernels.descend(d, near, tour)])  # the tour's length after it
    best = tour.copy()
    if n >= 8:
        kernels.seed(seed)
        stats = np.zeros(2, dtype=np.int64)
        step = FIRST_CHUNK
        now = time.perf_counter()
        while stats[1] < kicks and stats[0] < patience and now < deadline:
            done = int(stats[1])
            kernels.iterate(d, near, tour, best, int(min(step, kicks - done)), patience,
                            KICK_SEGMENT, SLACK, stats, walked)
            then, now = now, time.perf_counter()
            per_kick = max(now - then, 1e-7) / max(1, int(stats[1]) - done)
            step = int(min(CHUNK, max(1, (deadline - now) / per_kick), 2 * step))
    i = int(np.flatnonzero(best == 0)[0])
    return np.concatenate([best[i:], best[:i]])
