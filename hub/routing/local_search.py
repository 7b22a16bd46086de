"""Iterated local search on a stop matrix: vectorised 2-opt and Or-opt, double-bridge kicks.

Tours are arrays of matrix indices starting with the depot (0). Move gains are evaluated for
all positions at once in numpy; reversal costs use prefix sums, so one-way aisles (asymmetric
matrices) are priced exactly.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from hub.routing.layout import FloatArray

Tour = npt.NDArray[np.int64]
EPS = 1e-9


def length(dist: FloatArray, tour: Tour) -> float:
    return float(dist[tour, np.roll(tour, -1)].sum())


def _best_two_opt(dist: FloatArray, tour: Tour) -> tuple[float, int, int]:
    n = len(tour)
    nxt = np.roll(tour, -1)
    fwd = dist[tour, nxt]
    bwd = dist[nxt, tour]
    f = np.concatenate([[0.0], np.cumsum(fwd)])
    b = np.concatenate([[0.0], np.cumsum(bwd)])
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    ti, tj = tour[:, None], tour[None, :]
    ti1, tj1 = nxt[:, None], nxt[None, :]
    internal = (b[j] - b[np.minimum(i + 1, n)]) - (f[j] - f[np.minimum(i + 1, n)])
    delta = dist[ti, tj] + dist[ti1, tj1] - fwd[:, None] - fwd[None, :] + internal
    delta = np.where(j > i + 1, delta, np.inf)
    flat = int(np.argmin(delta))
    return float(delta.flat[flat]), flat // n, flat % n


def _apply_two_opt(tour: Tour, i: int, j: int) -> Tour:
    out = tour.copy()
    out[i + 1:j + 1] = tour[i + 1:j + 1][::-1]
    return out


def _best_or_opt(dist: FloatArray, tour: Tour, seg: int) -> tuple[float, int, int, bool]:
    """Best move of the segment tour[i:i+seg] (i >= 1) to after position k, maybe reversed."""
    n = len(tour)
    if n - 1 < seg + 1:
        return np.inf, 0, 0, False
    starts = np.arange(1, n - seg + 1)
    first, last = tour[starts], tour[starts + seg - 1]
    before, after = tour[starts - 1], tour[(starts + seg) % n]
    removal = dist[before, first] + dist[last, after] - dist[before, after]
    inner_fwd = np.zeros(len(starts))
    inner_bwd = np.zeros(len(starts))
    for s in range(seg - 1):
        a, c = tour[starts + s], tour[starts + s + 1]
        inner_fwd += dist[a, c]
        inner_bwd += dist[c, a]
    k = np.arange(n)
    tk, tk1 = tour[k], tour[(k + 1) % n]
    base = dist[tk, tk1][None, :]
    ins_fwd = dist[tk[None, :], first[:, None]] + dist[last[:, None], tk1[None, :]] - base
    ins_rev = (dist[tk[None, :], last[:, None]] + dist[first[:, None], tk1[None, :]] - base
               + (inner_bwd - inner_fwd)[:, None])
    si = starts[:, None]
    invalid = (k[None, :] >= si - 1) & (k[None, :] <= si + seg - 1)
    fwd_delta = np.where(invalid, np.inf, ins_fwd - removal[:, None])
    rev_delta = np.where(invalid, np.inf, ins_rev - removal[:, None])
    rev = bool(rev_delta.min() < fwd_delta.min())
    delta = rev_delta if rev else fwd_delta
    flat = int(np.argmin(delta))
    row, col = divmod(flat, n)
    return float(delta.flat[flat]), int(starts[row]), col, rev


def _apply_or_opt(tour: Tour, i: int, seg: int, k: int, rev: bool) -> Tour:
    segment = tour[i:i + seg]
    if rev:
        segment = segment[::-1]
    rest = np.concatenate([tour[:i], tour[i + seg:]])
    pos = k + 1 if k < i else k + 1 - seg
    return np.concatenate([rest[:pos], segment, rest[pos:]])


def descend(dist: FloatArray, tour: Tour, deadline: float = np.inf) -> Tour:
    """Steepest descent over 2-opt and Or-opt (segments of 1-3) until no move improves
    (or the deadline passes: the tour so far is returned)."""
    while time.perf_counter() < deadline:
        best = _best_two_opt(dist, tour)
        move: tuple[str, int, int, int, bool] = ("2opt", best[1], best[2], 0, False)
        gain = best[0]
        for seg in (1, 2, 3):
            d, i, k, rev = _best_or_opt(dist, tour, seg)
            if d < gain:
                gain, move = d, ("or", i, k, seg, rev)
        if gain > -EPS:
            return tour
        if move[0] == "2opt":
            tour = _apply_two_opt(tour, move[1], move[2])
        else:
            tour = _apply_or_opt(tour, move[1], move[3], move[2], move[4])
    return tour


def _double_bridge(tour: Tour, rng: np.random.Generator) -> Tour:
    n = len(tour)
    a, b, c = np.sort(rng.choice(np.arange(2, n), size=3, replace=False))
    return np.concatenate([tour[:a], tour[c:], tour[b:c], tour[a:b]])


def nearest_neighbour(dist: FloatArray) -> Tour:
    n = dist.shape[0]
    tour = [0]
    left = np.ones(n, dtype=bool)
    left[0] = False
    for _ in range(n - 1):
        row = np.where(left, dist[tour[-1]], np.inf)
        nxt = int(np.argmin(row))
        tour.append(nxt)
        left[nxt] = False
    return np.array(tour, dtype=np.int64)


def improve(dist: FloatArray, starts: list[Tour], budget_s: float, seed: int = 0,
            patience: int = 200) -> Tour:
    """Descend from the shortest start, then kick the best tour with double bridges until the time
    budget or ``patience`` kicks without improvement."""
    deadline = time.perf_counter() + budget_s
    rng = np.random.default_rng(seed)
    best = descend(dist, min(starts, key=lambda t: length(dist, t)), deadline)
    best_len = length(dist, best)
    if len(best) < 8:
        return best
    stale = 0
    while time.perf_counter() < deadline and stale < patience:
        cand = descend(dist, _double_bridge(best, rng), deadline)
        cand_len = length(dist, cand)
        if cand_len < best_len - EPS:
            best, best_len, stale = cand, cand_len, 0
        else:
            stale += 1
    return best
