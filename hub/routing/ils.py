"""Iterated local search for symmetric stop matrices: 2-opt and Or-opt over neighbour lists
with don't-look bits, and local double-bridge kicks.

Each descent only looks at the few nearest stops of each stop, so after a kick only the
stops next to the changed edges are re-examined: hundreds of kicks fit in tens of ms. The
tour is a cycle through the depot (index 0); it is rotated to start there at the end.
"""

from __future__ import annotations

import random
import time

import numpy as np

from hub.routing.layout import FloatArray

NEIGHBOURS = 12
KICK_WINDOW = 50
OR_OPT_MAX = 3  # longest segment an Or-opt move shifts
ACCEPT_WORSE = 0.0  # relative: walk on through slightly longer tours
EPS = 1e-9


class _Search:
    def __init__(self, dist: FloatArray, tour: list[int]) -> None:
        self.d: list[list[float]] = dist.tolist()
        n = dist.shape[0]
        k = min(NEIGHBOURS, n - 1)
        masked = dist + np.diag(np.full(n, np.inf))
        self.near: list[list[int]] = np.argsort(masked, axis=1)[:, :k].tolist()
        self.t: list[int] = list(tour)
        self.n = int(n)
        self.pos = [0] * n
        self._index()

    def _index(self) -> None:
        pos = self.pos
        for i, city in enumerate(self.t):
            pos[city] = i

    def succ(self, city: int) -> int:
        return self.t[(self.pos[city] + 1) % self.n]

    def pred(self, city: int) -> int:
        return self.t[self.pos[city] - 1]

    def length(self) -> float:
        d, t = self.d, self.t
        return sum(d[t[i - 1]][t[i]] for i in range(self.n))

    def two_opt(self, a: int, c: int) -> None:
        """Replace edges (a, succ a), (c, succ c) by (a, c), (succ a, succ c)."""
        i = self.pos[a]
        t = self.t[i + 1:] + self.t[:i + 1]  # succ a first, a last
        m = t.index(c)
        t[:m + 1] = t[m::-1]
        self.t = t
        self._index()

    def move_segment(self, first: int, k: int, left: int, reverse: bool) -> None:
        """Move the k stops from ``first`` on to just after ``left``, maybe reversed."""
        i = self.pos[first]
        t = self.t[i:] + self.t[:i]
        seg, rest = t[:k], t[k:]
        if reverse:
            seg.reverse()
        j = rest.index(left) + 1
        self.t = rest[:j] + seg + rest[j:]
        self._index()

    def improve_city(self, a: int) -> list[int] | None:
        """Apply the first improving move around ``a``; the stops whose edges changed."""
        d = self.d
        for direction in (1, -1):
            b = self.succ(a) if direction == 1 else self.pred(a)
            dab = d[a][b]
            for c in self.near[a]:
                dac = d[a][c]
                if dac >= dab - EPS:
                    break
                e = self.succ(c) if direction == 1 else self.pred(c)
                if c == b or e == a:
                    continue
                if dac + d[b][e] - dab - d[c][e] < -EPS:
                    if direction == 1:
                        self.two_opt(a, c)
                    else:
                        self.two_opt(b, e)
                    return [a, b, c, e]
        return self._or_opt(a)

    def _or_opt(self, first: int) -> list[int] | None:
        d, n = self.d, self.n
        p = self.pred(first)
        last = first
        for k in range(1, min(OR_OPT_MAX, n - 3) + 1):
            if k > 1:
                last = self.succ(last)
                if last == p:
                    return None
            nxt = self.succ(last)
            gain = d[p][first] + d[last][nxt] - d[p][nxt]
            if gain < EPS:
                continue
            seg = set(self._segment(first, k))
            for end, other in ((first, last), (last, first)):
                for c in self.near[end]:
                    if d[end][c] >= gain - EPS:
                        break
                    if c in seg:
                        continue
                    for left, right in ((c, self.succ(c)), (self.pred(c), c)):
                        if left in seg or right in seg or (left == p and right == nxt):
                            continue
                        # c sits next to ``end``; the segment runs left..right
                        head, tail = (end, other) if left == c else (other, end)
                        add = d[left][head] + d[tail][right] - d[left][right]
                        if add < gain - EPS:
                            self.move_segment(first, k, left, reverse=head != first)
                            return [p, nxt, left, right, first, last]
        return None

    def _segment(self, first: int, k: int) -> list[int]:
        i = self.pos[first]
        return [self.t[(i + s) % self.n] for s in range(k)]

    def descend(self, active: list[int], deadline: float) -> None:
        queue = list(dict.fromkeys(active))
        queued = set(queue)
        steps = 0
        while queue:
            a = queue.pop()
            queued.discard(a)
            changed = self.improve_city(a)
            if changed:
                for city in changed:
                    if city not in queued:
                        queued.add(city)
                        queue.append(city)
            steps += 1
            if steps % 256 == 0 and time.perf_counter() > deadline:
                return

    def kick(self, rng: random.Random) -> list[int]:
        """Double bridge on a window of the tour: A B C D -> A C B D."""
        n = self.n
        window = min(n, KICK_WINDOW)
        start = rng.randrange(n)
        cuts = sorted(rng.sample(range(1, window), 3))
        t = self.t[start:] + self.t[:start]
        a, b, c = cuts
        self.t = t[:a] + t[b:c] + t[a:b] + t[c:]
        self._index()
        return [t[a - 1], t[a], t[b - 1], t[b], t[c - 1], t[c % n]]


def solve(dist: FloatArray, start: list[int], budget_s: float, seed: int = 0,
          patience: int | None = None) -> list[int]:
    """A short tour through every index of ``dist`` (0 first), from ``start``."""
    n = dist.shape[0]
    if n <= 3:
        return list(start)
    deadline = time.perf_counter() + budget_s
    search = _Search(dist, start)
    search.descend(list(range(n)), deadline)
    best, best_len = list(search.t), search.length()
    rng = random.Random(seed)
    stale, limit = 0, patience if patience is not None else 50 * n
    kept, kept_len = list(best), best_len
    while n >= 8 and time.perf_counter() < deadline and stale < limit:
        touched = search.kick(rng)
        search.descend(touched, deadline)
        current = search.length()
        if current < best_len - EPS:
            best, best_len, stale = list(search.t), current, 0
        else:
            stale += 1
        if current <= kept_len + ACCEPT_WORSE * best_len:
            kept, kept_len = list(search.t), current
        else:
            search.t = list(kept)
            search._index()
    i = best.index(0)
    return best[i:] + best[:i]
