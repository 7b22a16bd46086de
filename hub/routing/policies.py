"""Classic routing policies, as pick orders (the baselines the solvers are measured against).

Each returns an order of stop indices; the walk between consecutive stops is then priced at
its shortest path, which can only favour the policy. Multi-block versions follow Roodbergen
and De Koster (2001): blocks are worked from the farthest to the nearest, serpentine.
"""

from __future__ import annotations

import numpy as np

from hub.routing.layout import Layout, Points


def _by_block(layout: Layout, stops: Points) -> list[tuple[int, list[int]]]:
    """(block, stop indices) for the blocks holding picks, farthest first."""
    blocks = layout.block_of(stops.y)
    return [(int(b), np.nonzero(blocks == b)[0].tolist())
            for b in sorted(set(blocks.tolist()), reverse=True)]


def _aisles(stops: Points, idx: list[int], left_to_right: bool) -> list[tuple[int, list[int]]]:
    aisles = sorted({int(stops.aisle[i]) for i in idx}, reverse=not left_to_right)
    return [(a, [i for i in idx if stops.aisle[i] == a]) for a in aisles]


def _sorted_y(stops: Points, idx: list[int], upward: bool) -> list[int]:
    return sorted(idx, key=lambda i: float(stops.y[i]), reverse=not upward)


def s_shape(layout: Layout, stops: Points) -> list[int]:
    """Traverse every aisle holding picks, alternating direction; blocks far to near."""
    order: list[int] = []
    upward = True
    for n, (_, idx) in enumerate(_by_block(layout, stops)):
        for _, in_aisle in _aisles(stops, idx, left_to_right=n % 2 == 0):
            order += _sorted_y(stops, in_aisle, upward)
            upward = not upward
    return order


def return_policy(layout: Layout, stops: Points) -> list[int]:
    """Enter each aisle from the front of its block and come back the same way."""
    order: list[int] = []
    for n, (_, idx) in enumerate(_by_block(layout, stops)):
        for _, in_aisle in _aisles(stops, idx, left_to_right=n % 2 == 0):
            order += _sorted_y(stops, in_aisle, upward=True)
    return order


def _split_policy(layout: Layout, stops: Points, largest_gap: bool) -> list[int]:
    """Picks near the back of a block from the back cross-aisle, the rest from the front;
    the split is the aisle midpoint or the largest gap. Outer aisles are traversed."""
    order: list[int] = []
    for n, (block, idx) in enumerate(_by_block(layout, stops)):
        low, high = float(layout.cross_y[block]), float(layout.cross_y[block + 1])
        aisles = _aisles(stops, idx, left_to_right=n % 2 == 0)
        back: list[int] = []
        front: list[list[int]] = []
        for k, (_, in_aisle) in enumerate(aisles):
            ys = sorted(float(stops.y[i]) for i in in_aisle)
            if k in (0, len(aisles) - 1):
                continue
            if largest_gap:
                points = [low, *ys, high]
                g = int(np.argmax(np.diff(points)))
                split = (points[g] + points[g + 1]) / 2
            else:
                split = (low + high) / 2
            back += _sorted_y(stops, [i for i in in_aisle if stops.y[i] >= split], upward=True)
            front.append([i for i in in_aisle if stops.y[i] < split])
        first = _sorted_y(stops, aisles[0][1], upward=True)
        last = _sorted_y(stops, aisles[-1][1], upward=False) if len(aisles) > 1 else []
        order += first + back + last
        for chunk in reversed(front):
            order += _sorted_y(stops, chunk, upward=False)
    return order


def midpoint(layout: Layout, stops: Points) -> list[int]:
    return _split_policy(layout, stops, largest_gap=False)


def largest_gap(layout: Layout, stops: Points) -> list[int]:
    return _split_policy(layout, stops, largest_gap=True)


POLICIES = {"s_shape": s_shape, "return": return_policy, "midpoint": midpoint,
            "largest_gap": largest_gap}
