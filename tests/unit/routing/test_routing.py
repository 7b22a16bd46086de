"""Routing: layouts, distances, exact and heuristic solvers, baselines."""

from __future__ import annotations

import numpy as np
import pytest

from hub.errors import InvalidInput, NotFound
from hub.routing import exact, local_search, single_block
from hub.routing.distance import AisleGraph, closed_form, concat, stop_matrix
from hub.routing.layout import Points, layout_from_dict, layout_from_yaml
from hub.routing.policies import POLICIES
from hub.routing.route import plan_route


def _layout(aisles: int = 6, blocks: int = 1, bays: int = 8, **extra: object):
    return layout_from_dict({"aisles": aisles, "blocks": blocks, "bays_per_block": bays,
                             "depot_aisle": "A02", **extra})


def _random_codes(layout, rng: np.random.Generator, n: int) -> list[str]:
    return [layout.code(int(rng.integers(len(layout.aisle_names))),
                        int(rng.integers(1, layout.total_bays + 1)),
                        int(rng.integers(layout.config.levels))) for _ in range(n)]


def _distinct(layout, codes: list[str]) -> Points:
    pts = layout.locate(codes)
    keys = list(dict.fromkeys(zip(pts.aisle.tolist(), pts.y.tolist(), strict=True)))
    return Points(np.array([k[0] for k in keys], dtype=np.int64),
                  np.array([k[1] for k in keys], dtype=np.float64))


def test_demo_codes_parse() -> None:
    layout = _layout(levels=2)
    assert layout.parse("A01-02-A") == (0, 2, "A")
    assert layout.parse("a02-03-b") == (1, 3, "B")


@pytest.mark.parametrize(("code", "error", "reason"), [
    ("A01/02/A", InvalidInput, "not of the form"),
    ("B01-02-A", NotFound, "aisle B01"),
    ("A01-99-A", NotFound, "bay 99"),
    ("A01-02-C", NotFound, "level C"),
])
def test_bad_location_codes_say_why(code: str, error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        _layout(levels=2).locate(["A01-01-A", code])


@pytest.mark.parametrize(("data", "reason"), [
    ({"aisles": 0, "bays_per_block": 5}, "aisles"),
    ({"aisles": 3}, "bays_per_block"),
    ({"aisles": 3, "bays_per_block": 5, "depot_aisle": "A09"}, "unknown aisle"),
    ({"aisles": 3, "bays_per_block": 5, "wings": 2}, "wings"),
    ({"aisles": 3, "bays_per_block": 5,
      "blocked": [{"aisle": "A01", "from_bay": 4, "to_bay": 2}]}, "from_bay"),
    ([1, 2], "mapping"),
])
def test_bad_layouts_say_why(data: object, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        layout_from_dict(data)


def test_layout_yaml_errors_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="YAML"):
        layout_from_yaml("aisles: [1,\n")
    assert layout_from_yaml("aisles: 4\nbays_per_block: 10\nblocks: 2\n").total_bays == 20


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_closed_form_equals_graph_shortest_path(blocks: int) -> None:
    rng = np.random.default_rng(blocks)
    for _ in range(10):
        layout = layout_from_dict({
            "aisles": int(rng.integers(2, 9)), "blocks": blocks,
            "bays_per_block": int(rng.integers(2, 12)),
            "aisle_spacing_m": float(rng.uniform(1.5, 5)),
            "bay_width_m": float(rng.uniform(0.5, 2)),
            "cross_aisle_width_m": float(rng.uniform(1, 4))})
        points = concat(layout.depot(), layout.locate(_random_codes(layout, rng, 15)))
        graph = AisleGraph(layout).matrix(points)
        np.testing.assert_allclose(closed_form(layout, points, points), graph, atol=1e-9)


def test_route_length_is_sum_of_legs() -> None:
    rng = np.random.default_rng(7)
    for blocks in (1, 2):
        layout = _layout(aisles=8, blocks=blocks, bays=10, levels=3)
        codes = _random_codes(layout, rng, 25)
        route = plan_route(layout, codes)
        legs = [s.leg_m for s in route.stops]
        assert sorted(s.index for s in route.stops) == list(range(25))
        assert route.total_m == pytest.approx(sum(legs) + route.return_leg_m)
        assert np.allclose(np.cumsum(legs), [s.cumulative_m for s in route.stops])
        dist = stop_matrix(layout, layout.locate([s.code for s in route.stops]))
        walked = exact.tour_length(dist, list(range(1, 26)))
        assert route.total_m == pytest.approx(walked)


def test_held_karp_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    for blocks in (1, 2, 3):
        layout = _layout(aisles=7, blocks=blocks, bays=6)
        for _ in range(8):
            dist = stop_matrix(layout, _distinct(layout, _random_codes(layout, rng, 7)))
            order, best = exact.held_karp(dist)
            assert best == pytest.approx(exact.brute_force(dist)[1])
            assert exact.tour_length(dist, order) == pytest.approx(best)


def test_single_block_programme_equals_brute_force_tour_included() -> None:
    rng = np.random.default_rng(11)
    for trial in range(40):
        layout = layout_from_dict({"aisles": 7, "bays_per_block": 9,
                                   "depot_aisle": f"A0{1 + trial % 7}"})
        stops = _distinct(layout, _random_codes(layout, rng, int(rng.integers(1, 9))))
        dist = stop_matrix(layout, stops)
        order, length = single_block.shortest_tour(layout, stops)
        assert sorted(order) == list(range(len(stops)))
        optimum = exact.brute_force(dist)[1]
        assert length == pytest.approx(optimum)
        assert exact.tour_length(dist, [i + 1 for i in order]) == pytest.approx(optimum)


def test_single_block_programme_on_wider_layouts_equals_held_karp_one_position_together() -> None:
    rng = np.random.default_rng(12)
    for trial in range(30):
        aisles = int(rng.integers(2, 25))
        layout = layout_from_dict({"aisles": aisles, "bays_per_block": int(rng.integers(2, 40)),
                                   "depot_aisle": f"A{1 + trial % aisles:02d}"})
        distinct = _distinct(layout, _random_codes(layout, rng, int(rng.integers(1, 12))))
        _, optimum = exact.held_karp(stop_matrix(layout, distinct))
        # every position twice, shuffled: both picks of a position come one after the other
        doubled = np.concatenate([np.arange(len(distinct))] * 2)
        rng.shuffle(doubled)
        stops = Points(distinct.aisle[doubled], distinct.y[doubled])
        order, length = single_block.shortest_tour(layout, stops)
        assert sorted(order) == list(range(len(stops)))
        assert length == pytest.approx(optimum)
        walked = [int(doubled[i]) for i in order]
        assert walked[0::2] == walked[1::2]
        assert all(a < b for a, b in zip(order[0::2], order[1::2], strict=True))  # index order
        assert exact.tour_length(stop_matrix(layout, distinct),
                                 [p + 1 for p in walked[0::2]]) == pytest.approx(optimum)


def test_local_search_finds_optimum_on_small_multi_block() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        layout = _layout(aisles=8, blocks=2, bays=6)
        dist = stop_matrix(layout, _distinct(layout, _random_codes(layout, rng, 9)))
        tour = local_search.improve(dist, [local_search.nearest_neighbour(dist)], 0.05)
        assert local_search.length(dist, tour) == pytest.approx(exact.held_karp(dist)[1])


def test_policies_visit_every_stop_and_are_no_shorter_than_optimum() -> None:
    rng = np.random.default_rng(9)
    layout = _layout(aisles=6, blocks=2, bays=5)
    stops = _distinct(layout, _random_codes(layout, rng, 8))
    dist = stop_matrix(layout, stops)
    optimum = exact.held_karp(dist)[1]
    for policy in POLICIES.values():
        order = policy(layout, stops)
        assert sorted(order) == list(range(len(stops)))
        assert exact.tour_length(dist, [i + 1 for i in order]) >= optimum - 1e-9


def test_one_way_and_blocked_aisles_use_the_graph() -> None:
    layout = _layout(aisles=3, bays=6, one_way={"A02": "up"},
                     blocked=[{"aisle": "A03", "from_bay": 2, "to_bay": 4}])
    assert not layout.rectangular
    dist = stop_matrix(layout, layout.locate(["A02-03-A", "A03-01-A"]))
    # A02 can only be walked up: leaving bay 3 means going on to the back cross-aisle.
    assert dist[0, 1] < dist[1, 0]
    route = plan_route(layout, ["A02-03-A", "A03-01-A", "A03-05-A"])
    assert route.total_m == pytest.approx(exact.brute_force(
        stop_matrix(layout, layout.locate([s.code for s in route.stops])))[1])
    with pytest.raises(InvalidInput, match="no walkable path"):
        plan_route(layout, ["A03-03-A"])


def test_longer_lists_on_one_way_aisles_are_priced_in_the_walking_direction() -> None:
    layout = _layout(aisles=6, blocks=2, bays=8, one_way={"A02": "up", "A05": "down"})
    rng = np.random.default_rng(13)
    codes = list(dict.fromkeys(_random_codes(layout, rng, 30)))
    route = plan_route(layout, codes)
    assert route.method == "local_search"
    walked = [s.code for s in route.stops]
    dist = stop_matrix(layout, layout.locate(walked))
    assert not np.allclose(dist, dist.T)  # the search must not assume a symmetric matrix
    assert route.total_m == pytest.approx(exact.tour_length(dist, list(range(1, len(walked) + 1))))
    s_shape = plan_route(layout, codes, method="s_shape")
    assert route.total_m <= s_shape.total_m + 1e-9


def test_empty_and_repeated_locations() -> None:
    layout = _layout()
    assert plan_route(layout, []).total_m == 0
    route = plan_route(layout, ["A03-02-A", "A03-02-A"])
    assert [s.leg_m for s in route.stops][1] == 0


def test_trips_respect_totes_units_and_zones() -> None:
    from hub.routing.batching import OrderPicks, plan_trips

    layout = _layout(aisles=6, bays=10, zones={"A": ["A01", "A02", "A03"],
                                               "B": ["A04", "A05", "A06"]})
    rng = np.random.default_rng(4)
    orders = [OrderPicks(f"o{i}", _random_codes(layout, rng, 3), units=2) for i in range(9)]
    trips = plan_trips(layout, orders, totes=4, units_per_trip=6)
    for trip in trips:
        assert len(trip.tote_of) <= 3  # 6 units / 2 per order
        assert sorted(trip.tote_of.values()) == list(range(1, len(trip.tote_of) + 1))
        assert {layout.zone_of(s.code) for s in trip.route.stops} == {trip.zone}
    for order in orders:
        codes = sorted(s.code for t in trips if order.order_id in t.tote_of
                       for s in t.route.stops
                       if s.code in order.locations)
        assert set(codes) == set(order.locations)
    with pytest.raises(InvalidInput, match="tote"):
        plan_trips(layout, orders, totes=0)
    with pytest.raises(InvalidInput, match="units"):
        plan_trips(layout, orders, totes=2, units_per_trip=1)


def test_batching_close_orders_share_a_trip() -> None:
    from hub.routing.batching import OrderPicks, plan_trips

    layout = _layout(aisles=10, bays=20)
    orders = [OrderPicks("near1", ["A01-02-A"]), OrderPicks("far1", ["A10-19-A"]),
              OrderPicks("near2", ["A01-03-A"]), OrderPicks("far2", ["A10-18-A"])]
    trips = plan_trips(layout, orders, totes=2)
    assert sorted(sorted(t.tote_of) for t in trips) == [["far1", "far2"], ["near1", "near2"]]


def test_methods_that_cannot_apply_say_why() -> None:
    rng = np.random.default_rng(12)
    layout = _layout(aisles=8, blocks=2, bays=10)
    with pytest.raises(InvalidInput, match="one-block"):
        plan_route(layout, ["A01-01-A"], method="single_block")
    codes = [layout.code(a, b) for a in range(8) for b in (1, 15)]
    with pytest.raises(InvalidInput, match="at most"):
        plan_route(layout, codes, method="exact")
    assert plan_route(layout, _random_codes(layout, rng, 6), method="exact").method == "exact"


def test_large_wave_batches_every_order_once_and_beats_arrival_order() -> None:
    """Over POOL orders only the nearest orders are candidates: still every order exactly
    once, capacities kept, and a shorter walk than carts filled in arrival order."""
    from hub.routing.batching import POOL, OrderPicks, plan_zone_trips

    layout = _layout(aisles=12, blocks=2, bays=15)
    rng = np.random.default_rng(11)
    orders = [OrderPicks(f"o{i}", _random_codes(layout, rng, int(rng.integers(1, 4))),
                         units=int(rng.integers(1, 4))) for i in range(6 * POOL)]
    trips = plan_zone_trips(layout, None, orders, totes=5, units_per_trip=9)
    placed = [order_id for trip in trips for order_id in trip.tote_of]
    assert sorted(placed) == sorted(o.order_id for o in orders)
    units = {o.order_id: o.units for o in orders}
    for trip in trips:
        assert len(trip.tote_of) <= 5 and sum(units[o] for o in trip.tote_of) <= 9
        wanted = sorted(c for o in orders if o.order_id in trip.tote_of for c in o.locations)
        assert sorted(s.code for s in trip.route.stops) == wanted
    naive, cart, load = [], [], 0
    for order in orders:  # arrival order: a new cart when the next order does not fit
        if len(cart) == 5 or load + order.units > 9:
            naive.append(cart)
            cart, load = [], 0
        cart.append(order)
        load += order.units
    naive.append(cart)
    naive_m = sum(plan_route(layout, [c for o in group for c in o.locations]).total_m
                  for group in naive)
    assert sum(trip.route.total_m for trip in trips) < 0.9 * naive_m


def test_kicks_on_short_tours_keep_a_permutation_and_report_the_best_length() -> None:
    import itertools

    from hub.routing import kernels, search

    rng = np.random.default_rng(31)
    for n, longest in itertools.product(range(8, 13), (2, search.KICK_SEGMENT)):
        # shorter than two pieces of ``longest``: they are cut down to fit
        pts = rng.uniform(0, 10, size=(n, 2))
        dist = np.abs(pts[:, None, :] - pts[None, :, :]).sum(axis=2)
        near = search.neighbour_lists(dist)
        tour = np.arange(n, dtype=np.int64)
        kernels.descend(dist, near, tour)
        best = tour.copy()
        kernels.seed(n + longest)
        stats = np.zeros(2, dtype=np.int64)
        walked = np.array([search.tour_length(dist, tour)])
        got = kernels.iterate(dist, near, tour, best, 300, 300, longest, search.SLACK, stats,
                              walked)
        assert stats[1] == 300
        assert sorted(tour.tolist()) == list(range(n)) == sorted(best.tolist())
        assert got == pytest.approx(search.tour_length(dist, best))
        assert got <= search.tour_length(dist, tour) + 1e-9
        assert got == pytest.approx(exact.held_karp(dist)[1])
