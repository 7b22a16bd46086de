"""How long building a wave from thousands of released orders takes, against baselines
measured in the same run on the same orders.

A hub on a fresh database (SQLite file by default) with a 30-aisle, 3-block warehouse (two
pick zones of 15 aisles, 60 bays, 4 levels) gets N released orders of 1-4 lines (written with
bulk inserts: the set-up is not timed) and one online device per zone. Timed:

- ``build``: ``BuildWave`` through the message bus, end to end: the released orders' open
  picks loaded, batched into 8-tote cart trips per zone, every trip routed, the wave, trips,
  tote slots and picks stored, each trip queued for its zone device, committed;
- ``batching only``: the same orders batched in memory, trips not routed (baseline);
- ``S-shape``: the trips of the in-memory plan routed by the S-shape policy (baseline), and
  ``routes``: the same trips by the solver, with the walking distance of both.

Builds are timed on fresh SQLite files, best of ``--repeat`` (3) with every run printed; the
batching baseline is the best of as many runs.

    python bench/waves.py [--orders 5000] [--repeat 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from hub.adapters import orm
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.routing.batching import OrderPicks, plan_zone_trips
from hub.routing.layout import layout_from_yaml
from hub.routing.route import plan_route
from hub.service_layer.handlers.waves import BuildWave

LAYOUT = """aisles: 30
blocks: 3
bays_per_block: 20
levels: 4
depot_aisle: A01
zones: {A: [A01, A02, A03, A04, A05, A06, A07, A08, A09, A10, A11, A12, A13, A14, A15],
        B: [A16, A17, A18, A19, A20, A21, A22, A23, A24, A25, A26, A27, A28, A29, A30]}
"""
SKUS = 3000
TOTES = 8


def seed_orders(hub: Hub, orders: int, rng: random.Random) -> dict[str, list[OrderPicks]]:
    """Released orders with their pick tasks per zone, bulk inserted; the same as OrderPicks
    per zone for the in-memory baselines."""
    layout = layout_from_yaml(LAYOUT)
    now = datetime.now(UTC)
    codes = rng.sample([layout.code(a, b, lv) for a in range(30) for b in range(1, 61)
                        for lv in range(4)], SKUS)
    zone_of = {code: layout.zone_of(code) or "A" for code in codes}
    skus = [{"sku": f"S{i:05d}", "name": f"item {i}", "barcode": f"59{i:011d}",
             "unit_weight_g": 100.0, "reorder_level": 0} for i in range(SKUS)]
    rows: dict[str, list[dict[str, object]]] = defaultdict(list)
    by_zone: dict[str, list[OrderPicks]] = defaultdict(list)
    for n in range(orders):
        order_id = f"ord_{n:020d}"
        rows["orders"].append({
            "id": order_id, "channel": "web", "channel_ref": f"B-{n}", "status": "released",
            "payment_status": "paid", "ship_to": {}, "currency": "GBP", "total": 0,
            "service_level": "standard", "created_at": now, "version": 1})
        per_zone: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for line_no, item in enumerate(rng.sample(range(SKUS), rng.randint(1, 4)), start=1):
            qty = rng.randint(1, 2)
            rows["order_lines"].append({"order_id": order_id, "line_no": line_no,
                                        "sku": skus[item]["sku"], "qty": qty,
                                        "unit_price": 1})
            per_zone[zone_of[codes[item]]].append((str(skus[item]["sku"]), codes[item], qty))
        for zone, picks in per_zone.items():
            task_id = f"tsk_{uuid.uuid4().hex[:20]}"
            rows["pick_tasks"].append({"id": task_id, "order_id": order_id, "zone": zone,
                                       "colour": "green", "status": "open", "created_at": now})
            rows["picks"] += [{"id": f"pk_{uuid.uuid4().hex[:20]}", "task_id": task_id,
                               "sku": sku, "location": loc, "qty": qty, "seq": seq,
                               "status": "open"} for seq, (sku, loc, qty) in enumerate(picks)]
            by_zone[zone].append(OrderPicks(order_id, [loc for _, loc, _ in picks],
                                            sum(q for _, _, q in picks)))
    devices = [{"device_id": f"zone-{z}", "site": "bench", "role": "pick_zone", "zone": z,
                "state": "online", "bdseq": 1, "locations": [], "peripherals": {},
                "last_seen": now} for z in ("A", "B")]
    with hub.uow() as uow:
        uow.session.execute(insert(orm.skus), skus)
        uow.session.execute(insert(orm.locations), [
            {"code": c, "zone": zone_of[c], "pick_sequence": i} for i, c in enumerate(codes)])
        for table in ("orders", "order_lines", "pick_tasks", "picks"):
            uow.session.execute(insert(getattr(orm, table)), rows[table])
        uow.session.execute(insert(orm.devices), devices)
        uow.session.commit()
    return by_zone


def build_once(orders: int, url: str | None) -> tuple[float, dict[str, list[OrderPicks]],
                                                      tuple[object, ...]]:
    """Seed a fresh hub and time one BuildWave: (seconds, orders per zone, wave figures)."""
    with tempfile.TemporaryDirectory() as folder:
        layout_path = Path(folder) / "layout.yaml"
        layout_path.write_text(LAYOUT)
        hub = bootstrap(Settings(database_url=url or f"sqlite:///{folder}/bench.db",
                                 site="bench", layout_path=str(layout_path)))
        try:
            by_zone = seed_orders(hub, orders, random.Random(7))
            plan_route(layout_from_yaml(LAYOUT), ["A02-03-A", "A09-50-B", "A20-22-C"] * 5)
            started = time.perf_counter()
            wave_id = hub.handle(BuildWave(totes=TOTES, max_orders=orders))
            build = time.perf_counter() - started
            with hub.uow(read_only=True) as uow:
                wave = uow.session.execute(orm.metadata.tables["waves"].select()).one()
                trips = uow.session.query(orm.metadata.tables["wave_trips"]).count()
                sent = uow.session.query(orm.outbox).count()
        finally:
            hub.stop()
    return build, by_zone, (wave_id, wave.orders, wave.picks, trips, sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--database-url", default=None,
                        help="an empty database (one run); default: fresh SQLite files")
    parser.add_argument("--repeat", type=int, default=3, help="runs on fresh SQLite files")
    args = parser.parse_args()
    url = args.database_url
    runs = [build_once(args.orders, url) for _ in range(1 if url else args.repeat)]
    builds = sorted(run[0] for run in runs)
    build = builds[0]
    by_zone = runs[0][1]
    wave_id, n_orders, n_picks, trips, sent = runs[0][2]
    layout = layout_from_yaml(LAYOUT)
    batching = min(_timed(lambda: [plan_zone_trips(layout, zone, orders, TOTES, route=False)
                                   for zone, orders in by_zone.items()])
                   for _ in range(len(runs)))
    started = time.perf_counter()
    planned = [t for zone, orders in by_zone.items()
               for t in plan_zone_trips(layout, zone, orders, TOTES)]
    in_memory = time.perf_counter() - started
    trip_codes = [[s.code for s in t.route.stops] for t in planned]
    started = time.perf_counter()
    s_shape = sum(plan_route(layout, c, "s_shape").total_m for c in trip_codes)
    s_shape_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = sum(plan_route(layout, c).total_m for c in trip_codes)
    routes_s = time.perf_counter() - started
    picks = sum(len(c) for c in trip_codes)
    print(f"wave {wave_id}: {n_orders} orders, {n_picks} picks, {trips} trips of "
          f"{TOTES} totes, {sent} pick tasks queued for devices "
          f"({url.split(':')[0] if url else 'SQLite'}, {len(runs)} run(s))")
    print(f"build (load + batch + route + store + send): {build:6.2f} s  (target < 2 s; "
          f"best of {len(runs)}, all: {', '.join(f'{b:.3f}' for b in builds)})")
    print(f"  baseline, batching only in memory:         {batching:6.2f} s  "
          f"build / batching = {build / batching:4.1f}")
    print(f"  batching + routes in memory:               {in_memory:6.2f} s")
    print(f"  routes alone, solver: {routes_s:5.2f} s for {len(trip_codes)} trips ({picks} picks)"
          f"; S-shape: {s_shape_s:5.2f} s (baseline)")
    print(f"  walk: solver {ours / 1000:8.1f} km, S-shape {s_shape / 1000:8.1f} km "
          f"({100 * (s_shape - ours) / s_shape:4.1f} % saved)")


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
