"""Exact tours on a distance matrix whose row/column 0 is the depot: Held-Karp and brute force.

Both return (order of stops 1..n, length). Held-Karp is O(2^n n^2): fine up to ~13 stops.
"""

from __future__ import annotations

import itertools

import numpy as np

from hub.routing.layout import FloatArray

HELD_KARP_MAX = 13


def tour_length(dist: FloatArray, order: list[int]) -> float:
    """Length of depot -> order... -> depot."""
    path = [0, *order, 0]
    return float(dist[path[:-1], path[1:]].sum())


def brute_force(dist: FloatArray) -> tuple[list[int], float]:
    n = dist.shape[0] - 1
    best: tuple[list[int], float] = ([], 0.0 if n == 0 else np.inf)
    for perm in itertools.permutations(range(1, n + 1)):
        length = tour_length(dist, list(perm))
        if length < best[1]:
            best = (list(perm), length)
    return best


def held_karp(dist: FloatArray) -> tuple[list[int], float]:
    n = dist.shape[0] - 1
    if n == 0:
        return [], 0.0
    if n > HELD_KARP_MAX:
        raise ValueError(f"Held-Karp is limited to {HELD_KARP_MAX} stops, got {n}")
    inner = dist[1:, 1:]
    full = 1 << n
    cost = np.full((full, n), np.inf)
    parent = np.full((full, n), -1, dtype=np.int64)
    for k in range(n):
        cost[1 << k, k] = dist[0, k + 1]
    bits = np.array([1 << k for k in range(n)], dtype=np.int64)
    for mask in range(1, full):
        row = cost[mask]
        if not np.isfinite(row).any():
            continue
        via = row[:, None] + inner  # via[j, k]: end at j, then go to k
        best_j = np.argmin(via, axis=0)
        best = via[best_j, np.arange(n)]
        for k in np.nonzero((mask & bits) == 0)[0].tolist():
            target = mask | (1 << k)
            if best[k] < cost[target, k]:
                cost[target, k] = best[k]
                parent[target, k] = best_j[k]
    last_row = cost[full - 1] + dist[1:, 0]
    end = int(np.argmin(last_row))
    order: list[int] = []
    mask = full - 1
    while end >= 0:
        order.append(end + 1)
        prev = int(parent[mask, end])
        mask ^= 1 << end
        end = prev
    order.reverse()
    return order, float(last_row.min())
