"""The compiled multi-block search: exact Held-Karp, and local search with kicks."""

from __future__ import annotations

import numpy as np
import pytest

from hub.routing import exact, local_search, route, search
from hub.routing.distance import stop_matrix
from hub.routing.layout import Points, layout_from_dict
from hub.routing.route import plan_route


def _instance(rng: np.random.Generator, n: int, aisles: int = 10, blocks: int = 3,
              bays: int = 8) -> np.ndarray:
    layout = layout_from_dict({"aisles": aisles, "blocks": blocks, "bays_per_block": bays})
    keys = {(int(rng.integers(aisles)), int(rng.integers(1, blocks * bays + 1)))
            for _ in range(n)}
    aisle = np.array([k[0] for k in sorted(keys)], dtype=np.int64)
    bay = np.array([k[1] for k in sorted(keys)], dtype=np.int64)
    return stop_matrix(layout, Points(aisle, layout.bay_y(bay)))


def test_compiled_held_karp_equals_brute_force() -> None:
    rng = np.random.default_rng(21)
    for _ in range(12):
        dist = _instance(rng, 7)
        order, best = search.held_karp(dist)
        assert sorted(order) == list(range(1, dist.shape[0]))
        assert best == pytest.approx(exact.brute_force(dist)[1])
        assert exact.tour_length(dist, order) == pytest.approx(best)


def test_compiled_held_karp_on_one_way_distances_equals_brute_force() -> None:
    rng = np.random.default_rng(24)
    for m in (2, 5, 8):
        dist = rng.uniform(1, 50, size=(m, m))  # asymmetric: a tour and its reverse differ
        np.fill_diagonal(dist, 0.0)
        order, best = search.held_karp(dist)
        assert sorted(order) == list(range(1, m))
        assert best == pytest.approx(exact.brute_force(dist)[1])
        assert exact.tour_length(dist, order) == pytest.approx(best)


def test_search_reaches_the_proven_optimum_on_small_multi_block_instances() -> None:
    rng = np.random.default_rng(22)
    for trial in range(25):
        dist = _instance(rng, 13)
        optimum = search.held_karp(dist)[1]
        start = np.arange(dist.shape[0], dtype=np.int64)  # the stops in index order
        tour = search.solve(dist, start, 5.0, kicks=400, patience=400, seed=trial)
        assert sorted(tour.tolist()) == list(range(dist.shape[0])) and tour[0] == 0
        assert search.tour_length(dist, tour) == pytest.approx(optimum)


def test_search_is_never_worse_than_its_start_and_returns_a_permutation() -> None:
    rng = np.random.default_rng(23)
    for n in (4, 8, 30, 120):
        dist = _instance(rng, n, aisles=20, blocks=3, bays=20)
        m = dist.shape[0]
        for start in (local_search.nearest_neighbour(dist),
                      np.concatenate([[0], rng.permutation(np.arange(1, m))])):
            start_len = search.tour_length(dist, start)
            for kicks in (0, 50):
                tour = search.solve(dist, start, 5.0, kicks=kicks, patience=kicks)
                assert sorted(tour.tolist()) == list(range(m)) and tour[0] == 0
                assert search.tour_length(dist, tour) <= start_len + 1e-9
                assert search.tour_length(dist, tour) == pytest.approx(
                    exact.tour_length(dist, tour[1:].tolist()))


def test_descent_leaves_no_improving_two_opt_move_when_the_neighbour_lists_are_complete(
) -> None:
    rng = np.random.default_rng(24)
    for _ in range(20):
        dist = _instance(rng, 10, aisles=12, blocks=3, bays=10)
        assert dist.shape[0] - 1 <= search.NEIGHBOURS
        start = np.concatenate([[0], rng.permutation(np.arange(1, dist.shape[0]))])
        tour = search.solve(dist, start, 5.0, kicks=0, patience=0)
        # the full-matrix numpy 2-opt finds no move the neighbour-list descent missed
        assert local_search._best_two_opt(dist, tour)[0] >= -1e-9


def test_same_seed_same_tour() -> None:
    rng = np.random.default_rng(25)
    dist = _instance(rng, 80, aisles=20, blocks=3, bays=20)
    start = local_search.nearest_neighbour(dist)
    a = search.solve(dist, start, 30.0, kicks=500, patience=500, seed=7)
    b = search.solve(dist, start, 30.0, kicks=500, patience=500, seed=7)
    assert a.tolist() == b.tolist()


def test_auto_route_on_several_blocks_is_optimal_up_to_twelve_stops() -> None:
    rng = np.random.default_rng(26)
    layout = layout_from_dict({"aisles": 8, "blocks": 2, "bays_per_block": 6})
    for _ in range(5):
        codes = [layout.code(int(rng.integers(8)), int(rng.integers(1, 13)), 0)
                 for _ in range(12)]
        route = plan_route(layout, codes)
        dist = stop_matrix(layout, layout.locate(list(dict.fromkeys(
            s.code for s in route.stops if s.leg_m > 0 or s is route.stops[0]))))
        assert route.method == "exact"
        assert route.total_m == pytest.approx(exact.held_karp(dist)[1])


def test_patience_stops_the_search_early_and_keeps_it_deterministic() -> None:
    rng = np.random.default_rng(28)
    dist = _instance(rng, 100, aisles=20, blocks=3, bays=20)
    start = local_search.nearest_neighbour(dist)
    start_len = search.tour_length(dist, start)
    runs = [search.solve(dist, start, 30.0, kicks=5000, patience=patience, seed=3)
            for patience in (1, 1, 200, 200, 5000)]
    assert runs[0].tolist() == runs[1].tolist() and runs[2].tolist() == runs[3].tolist()
    lengths = [search.tour_length(dist, t) for t in runs]
    # more patience can only find a shorter tour: the runs share their first kicks
    assert start_len + 1e-9 >= lengths[0] >= lengths[2] - 1e-9 >= lengths[4] - 2e-9


def test_the_route_search_with_its_default_kick_count_is_deterministic() -> None:
    rng = np.random.default_rng(29)
    dist = _instance(rng, 100, aisles=30, blocks=3, bays=20)
    kicks = route.default_kicks(dist.shape[0] - 1)
    start = local_search.nearest_neighbour(dist)
    tours = [search.solve(dist, start, 30.0, kicks=kicks, patience=kicks).tolist()
             for _ in range(3)]
    assert tours[0] == tours[1] == tours[2]


def test_compiled_nearest_neighbour_equals_the_numpy_one() -> None:
    rng = np.random.default_rng(30)
    for n in (2, 5, 40, 150):
        dist = _instance(rng, n, aisles=20, blocks=3, bays=20)
        assert (search.nearest_neighbour(dist).tolist()
                == local_search.nearest_neighbour(dist).tolist())


def test_neighbour_lists_are_the_nearest_first_lower_index_among_equals() -> None:
    rng = np.random.default_rng(25)
    for n in (2, 3, 11, 12, 60):
        dist = rng.integers(0, 6, size=(n, n)).astype(np.float64)  # many equal distances
        dist = dist + dist.T
        np.fill_diagonal(dist, 0.0)
        k = min(search.NEIGHBOURS, n - 1)
        stable = np.argsort(dist + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(search.neighbour_lists(dist), stable)


def test_how_the_kicks_are_split_into_chunks_does_not_change_the_tour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(26)
    for n in (30, 120):
        dist = _instance(rng, n, aisles=20, blocks=3, bays=20)
        start = local_search.nearest_neighbour(dist)
        whole = search.solve(dist, start, 60.0, kicks=700, patience=700, seed=3)
        monkeypatch.setattr(search, "FIRST_CHUNK", 1)
        monkeypatch.setattr(search, "CHUNK", 3)
        split = search.solve(dist, start, 60.0, kicks=700, patience=700, seed=3)
        monkeypatch.undo()
        np.testing.assert_array_equal(whole, split)


def test_a_spent_budget_still_gives_a_full_route_no_longer_than_nearest_neighbour() -> None:
    layout = layout_from_dict({"aisles": 20, "blocks": 3, "bays_per_block": 20})
    rng = np.random.default_rng(27)
    keys = {(int(rng.integers(20)), int(rng.integers(1, 61))) for _ in range(80)}
    points = Points(np.array([k[0] for k in sorted(keys)], dtype=np.int64),
                    layout.bay_y(np.array([k[1] for k in sorted(keys)], dtype=np.int64)))
    # the budget covers the whole call: used up by the distance matrix, no kick is made
    order, dist, method = route.solve_positions(layout, points, budget_s=0.0)
    assert method == "local_search" and sorted(order) == list(range(len(points)))
    greedy = search.nearest_neighbour(dist)
    assert exact.tour_length(dist, [i + 1 for i in order]) <= search.tour_length(
        dist, greedy) + 1e-9
