"""Compiled kernels of the multi-block route search (numba): the closed-form distance matrix,
Held-Karp and iterated local search.

The local search is 2-opt plus Or-opt (segments of 1-3 stops moved, maybe reversed) over
neighbour lists with don't-look bits; the perturbation is a local double bridge (A B C D ->
A C B D with short B and C), so only the six stops next to the changed edges are
re-examined. A kicked tour is kept when it is no longer than the one it came from (walks
across plateaus, common on a warehouse grid) or within ``slack`` of the best tour (threshold
accepting: climbs out of shallow local optima), otherwise undone.

Every kernel has an explicit signature, so numba compiles it when this module is imported
(``cache=True``: later imports load the machine code from ``__pycache__``); no request pays
the compile. This module is excluded from ``mypy --strict`` (numba's decorators are untyped);
``hub.routing.search`` is its typed front door.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-9
OR_OPT_MAX = 3


@njit("void(int64)", cache=True)
def seed(value):
    np.random.seed(value)


@njit("float64(float64[:, ::1], int64[::1])", cache=True)
def tour_length(d, t):
    n = t.shape[0]
    total = 0.0
    for i in range(n):
        total += d[t[i - 1], t[i]]
    return total


@njit("int64(int64, int64)", cache=True)
def _wrap(i, n):
    """i modulo n for i in [-n, 2n): a compare instead of an integer division, which would
    cost more than the rest of a move's test."""
    if i >= n:
        return i - n
    if i < 0:
        return i + n
    return i


@njit("void(int64[::1], int64[::1], int64, int64)", cache=True)
def _reverse(t, pos, i, j):
    """Reverse the tour between positions i and j (inclusive, cyclic), or the complement,
    whichever is shorter: on a symmetric matrix both give the same cycle."""
    n = t.shape[0]
    length = _wrap(j - i, n) + 1
    if 2 * length > n:
        i, j = _wrap(j + 1, n), _wrap(i - 1, n)
        length = n - length
    for _ in range(length // 2):
        a, b = t[i], t[j]
        t[i] = b
        pos[b] = i
        t[j] = a
        pos[a] = j
        i += 1
        if i == n:
            i = 0
        j -= 1
        if j < 0:
            j = n - 1


@njit("void(int64[::1], int64[::1], int64[::1], int64, int64, int64, boolean)", cache=True)
def _move_segment(t, pos, buf, first, k, left, rev):
    """Move the k stops from ``first`` on to between ``left`` and its successor, shifting only
    the stops on the shorter side between the segment and its new place."""
    n = t.shape[0]
    start = pos[first]
    for s in range(k):
        buf[s] = t[_wrap(start + (k - 1 - s if rev else s), n)]
    ahead = _wrap(pos[left] - start, n) - k + 1  # stops from after the segment up to ``left``
    if ahead <= n - k - ahead:
        for r in range(ahead):  # shift them back by k
            city = t[_wrap(start + k + r, n)]
            q = _wrap(start + r, n)
            t[q] = city
            pos[city] = q
        base = start + ahead
    else:
        behind = n - k - ahead  # stops from after ``left`` up to the segment: shift forward
        for r in range(behind):
            city = t[_wrap(start - 1 - r, n)]
            q = _wrap(start + k - 1 - r, n)
            t[q] = city
            pos[city] = q
        base = start - behind
    for s in range(k):
        q = _wrap(base + s, n)
        t[q] = buf[s]
        pos[buf[s]] = q


@njit("float64(float64[:, ::1], int64[:, ::1], int64[::1], int64[::1], int64[::1], "
      "int64[::1], boolean[::1], int64)", cache=True)
def _descend(d, near, t, pos, buf, stack, queued, top):
    """Local search from the stops on ``stack[:top]`` until none improves: the total gain.

    For each stop ``a`` taken from the stack, the first improving move around it is applied:
    a 2-opt move on one of its two tour edges, else an Or-opt move of the segment of 1-3 stops
    starting at ``a`` next to a neighbour of one of its ends (maybe reversed). The stops whose
    edges changed go back on the stack. The move search is written out here rather than in a
    helper: a call that passes arrays costs two atomic reference-count updates per array,
    which were half the time of a kick."""
    n = t.shape[0]
    changed = np.empty(6, dtype=np.int64)
    total = 0.0
    while top > 0:
        top -= 1
        a = stack[top]
        queued[a] = False
        gain = 0.0
        for direction in (1, -1):  # 2-opt on the edge from a to its successor or predecessor
            b = t[_wrap(pos[a] + direction, n)]
            dab = d[a, b]
            for idx in range(near.shape[1]):
                c = near[a, idx]
                dac = d[a, c]
                if dac >= dab - EPS:
                    break
                e = t[_wrap(pos[c] + direction, n)]
                if c == b or e == a:
                    continue
                delta = dac + d[b, e] - dab - d[c, e]
                if delta < -EPS:
                    if direction == 1:
                        _reverse(t, pos, pos[b], pos[c])
                    else:
                        _reverse(t, pos, pos[a], pos[e])
                    changed[0], changed[1], changed[2], changed[3] = a, b, c, e
                    changed[4] = -1
                    changed[5] = -1
                    gain = -delta
                    break
            if gain > 0.0:
                break
        if gain == 0.0:
            # Or-opt: the segment of k stops starting at a, moved next to a neighbour of an end
            first = a
            p = t[_wrap(pos[first] - 1, n)]
            last = first
            for k in range(1, min(OR_OPT_MAX, n - 3) + 1):
                if k > 1:
                    last = t[_wrap(pos[last] + 1, n)]
                    if last == p:
                        break
                nxt = t[_wrap(pos[last] + 1, n)]
                cut = d[p, first] + d[last, nxt] - d[p, nxt]
                if cut < EPS:
                    continue
                for side in range(2):
                    end = first if side == 0 else last
                    other = last if side == 0 else first
                    for idx in range(near.shape[1]):
                        c = near[end, idx]
                        if d[end, c] >= cut - EPS:
                            break
                        if _wrap(pos[c] - pos[first], n) < k:
                            continue  # c is inside the segment
                        for way in range(2):
                            if way == 0:
                                left, right = c, t[_wrap(pos[c] + 1, n)]
                            else:
                                left, right = t[_wrap(pos[c] - 1, n)], c
                            if (_wrap(pos[left] - pos[first], n) < k
                                    or _wrap(pos[right] - pos[first], n) < k):
                                continue
                            if left == p and right == nxt:
                                continue
                            head = end if left == c else other
                            tail = other if left == c else end
                            add = d[left, head] + d[tail, right] - d[left, right]
                            if add < cut - EPS:
                                _move_segment(t, pos, buf, first, k, left, head != first)
                                changed[0], changed[1], changed[2] = p, nxt, left
                                changed[3], changed[4], changed[5] = right, first, last
                                gain = cut - add
                                break
                        if gain > 0.0:
                            break
                    if gain > 0.0:
                        break
                if gain > 0.0:
                    break
        if gain > 0.0:
            total += gain
            for s in range(6):
                city = changed[s]
                if city >= 0 and not queued[city]:
                    queued[city] = True
                    stack[top] = city
                    top += 1
    return total


@njit("float64(float64[:, ::1], int64[:, ::1], int64[::1])", cache=True)
def descend(d, near, t):
    """Local search from every stop of ``t`` (changed in place): the tour's new length."""
    n = t.shape[0]
    pos = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos[t[i]] = i
    stack = t[::-1].copy()
    queued = np.ones(n, dtype=np.bool_)
    _descend(d, near, t, pos, np.empty(n, dtype=np.int64), stack, queued, n)
    return tour_length(d, t)


@njit("float64(float64[:, ::1], int64[:, ::1], int64[::1], int64[::1], int64, int64, int64, "
      "float64, int64[::1], float64[::1])", cache=True)
def iterate(d, near, t, best, kicks, patience, longest, slack, stats, walked):
    """Up to ``kicks`` double-bridge kicks from the locally optimal tour ``t``, stopping early
    once ``patience`` kicks in a row found no better tour; ``best`` (in/out) is the shortest
    tour seen. A kicked tour within ``slack`` (a share of the best length) of the best is kept.
    stats[0] counts kicks since the best improved (in/out), stats[1] the kicks made (added to);
    walked[0] is the length of ``t`` as the search has summed it (in/out), so that a run split
    into several calls decides exactly as one call would. The double bridge swaps two
    neighbouring pieces B and C of 1..``longest`` stops each, drawn apart. Returns the best
    length."""
    n = t.shape[0]
    pos = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos[t[i]] = i
    buf = np.empty(n, dtype=np.int64)
    kept = t.copy()
    stack = np.empty(n, dtype=np.int64)
    queued = np.zeros(n, dtype=np.bool_)
    kept_len = walked[0]
    best_len = tour_length(d, best)
    margin = slack * best_len
    for _ in range(kicks):
        if stats[0] >= patience:
            break
        stats[1] += 1
        # pieces A=[0,a) B=[a,b) C=[b,c) D=[c,n) from ``start``; on a short tour B and C are
        # cut down so that A and D keep a stop each
        start = np.random.randint(0, n)
        a = 1
        b = a + np.random.randint(1, longest + 1)
        c = b + np.random.randint(1, longest + 1)
        if c >= n:
            c = n - 1
            if b >= c:
                b = c - 1
        # A C B D: only positions start .. start+c-1 change
        w = 0
        for r in range(b, c):
            buf[w] = t[_wrap(start + r, n)]
            w += 1
        for r in range(a, b):
            buf[w] = t[_wrap(start + r, n)]
            w += 1
        a_end, d_start = t[_wrap(start + a - 1, n)], t[_wrap(start + c, n)]
        c_start, c_end = buf[0], buf[c - b - 1]
        b_start, b_end = buf[c - b], buf[c - a - 1]
        kick = (d[a_end, c_start] + d[c_end, b_start] + d[b_end, d_start]
                - d[a_end, b_start] - d[b_end, c_start] - d[c_end, d_start])
        for r in range(c - a):
            q = _wrap(start + a + r, n)
            t[q] = buf[r]
            pos[buf[r]] = q
        top = 0
        for city in (a_end, c_start, c_end, b_start, b_end, d_start):
            if not queued[city]:
                queued[city] = True
                stack[top] = city
                top += 1
        cur = kept_len + kick - _descend(d, near, t, pos, buf, stack, queued, top)
        if cur < best_len - EPS:
            best_len = tour_length(d, t)
            best[:] = t
            margin = slack * best_len
            stats[0] = 0
        else:
            stats[0] += 1
        if cur <= kept_len + EPS or cur <= best_len + margin:
            kept[:] = t
            kept_len = cur
        else:
            t[:] = kept
            for i in range(n):
                pos[t[i]] = i
    walked[0] = kept_len
    return best_len


@njit("void(int64[::1], float64[::1], int64[::1], int64[::1], float64[::1], int64[::1], "
      "float64[::1], float64[::1], float64[:, ::1])", cache=True)
def closed_form(aisle_a, ya, block_a, aisle_b, yb, block_b, aisle_x, cross_y, out):
    """Walking distances from each position a (aisle index, y, block) to each position b of a
    rectangular multi-block layout, into ``out``: within one aisle the straight |dy|;
    otherwise |dx| along a cross-aisle plus, in different blocks, |dy|, and in the same block
    the shorter detour through the cross-aisle below or above it."""
    for i in range(ya.shape[0]):
        xa = aisle_x[aisle_a[i]]
        for j in range(yb.shape[0]):
            dy = abs(ya[i] - yb[j])
            if aisle_a[i] == aisle_b[j]:
                out[i, j] = dy
                continue
            if block_a[i] == block_b[j]:
                low = cross_y[block_a[i]]
                high = cross_y[block_a[i] + 1]
                down = ya[i] + yb[j] - 2.0 * low
                up = 2.0 * high - ya[i] - yb[j]
                dy = down if down < up else up
            out[i, j] = abs(xa - aisle_x[aisle_b[j]]) + dy


@njit("void(float64[:, ::1], int64[:, ::1])", cache=True)
def neighbour_lists(d, near):
    """For each index the ``near.shape[1]`` nearest other indices into ``near``, nearest first,
    the lower index first among equals (a stable sort of the row, by insertion)."""
    n, k = near.shape
    dist = np.empty(k)
    for i in range(n):
        size = 0
        for j in range(n):
            if j == i:
                continue
            dj = d[i, j]
            if size == k and dj >= dist[k - 1]:
                continue
            r = size if size < k else k - 1
            while r > 0 and dist[r - 1] > dj:
                dist[r] = dist[r - 1]
                near[i, r] = near[i, r - 1]
                r -= 1
            dist[r] = dj
            near[i, r] = j
            if size < k:
                size += 1


@njit("void(float64[:, ::1], int64[::1])", cache=True)
def nearest_neighbour(d, t):
    """Greedy tour from 0 into ``t``: always on to the nearest stop not yet visited (the lowest
    index on ties)."""
    n = d.shape[0]
    left = np.ones(n, dtype=np.bool_)
    left[0] = False
    t[0] = 0
    here = 0
    for i in range(1, n):
        best = np.inf
        nxt = -1
        for j in range(n):
            if left[j] and d[here, j] < best:
                best = d[here, j]
                nxt = j
        if nxt < 0:  # only infinite distances left: the lowest index
            for j in range(n):
                if left[j]:
                    nxt = j
                    break
        t[i] = nxt
        left[nxt] = False
        here = nxt


@njit("float64(float64[:, ::1], int64[::1])", cache=True)
def held_karp(d, order):
    """Shortest tour from 0 through every other index and back: its stops in ``order``
    (length n - 1), its length. O(2^n n^2); for n - 1 <= ~13. Pulled, not pushed: the cost of
    ending a subset at k is a minimum over one contiguous row (the subset without k, unreached
    ends at infinity), a branch-free loop the compiler vectorises; the tour is recovered by
    repeating those minima, so no parent table is kept."""
    m = d.shape[0] - 1
    full = 1 << m
    cost = np.full((full, m), np.inf)
    into = np.empty((m, m))  # into[k, j]: from stop j to stop k
    for k in range(m):
        for j in range(m):
            into[k, j] = d[j + 1, k + 1]
        cost[1 << k, k] = d[0, k + 1]
    for mask in range(1, full):
        if mask & (mask - 1) == 0:
            continue  # one stop: set above
        for k in range(m):
            if not (mask >> k) & 1:
                continue
            row = cost[mask ^ (1 << k)]
            step = into[k]
            best = np.inf
            for j in range(m):
                v = row[j] + step[j]
                if v < best:
                    best = v
            cost[mask, k] = best
    best = np.inf
    end = -1
    for j in range(m):
        total = cost[full - 1, j] + d[j + 1, 0]
        if total < best:
            best, end = total, j
    mask = full - 1
    for i in range(m - 1, -1, -1):
        order[i] = end + 1
        if i == 0:
            break
        prev = mask ^ (1 << end)
        row = cost[prev]
        step = into[end]
        before = -1
        for j in range(m):
            if row[j] + step[j] == cost[mask, end]:
                before = j
                break
        mask, end = prev, before
    return best
