"""Eight worker processes reserve against scarce stock, on SQLite and on PostgreSQL.

Each worker is a forked process with its own hub (engine, unit of work, service layer), so
the database, not a lock in Python, is what keeps them apart. Orders are released (stock
reserved) while other workers confirm picks and adjust stock down; at the end nothing is
oversold and every balance equals its ledger.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from hub import errors
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.faults.ledger import assert_consistent
from tests.faults.sizes import FULL, report

pytestmark = [pytest.mark.timeout(600 if FULL else 180)]

WORKERS = 8
ORDERS_PER_WORKER = 12 if FULL else 5
STOCK = {"A01-01-A": 7, "A01-02-A": 5, "B01-01-A": 4}  # 16 units; demand is about 3x that
SKU = "SCARCE"


def _worker(database_url: str, worker: int, order_ids: list[str]) -> tuple[int, int, int]:
    """Release this worker's orders, adjusting one unit away now and then; returns
    (units reserved, orders refused, adjustments refused)."""
    hub = bootstrap(Settings(database_url=database_url, site="faults", auto_migrate=False))
    reserved = refused = adjust_refused = 0
    try:
        for n, order_id in enumerate(order_ids):
            try:
                hub.handle(commands.ReleaseOrder(order_id))
                with hub.uow(read_only=True) as uow:
                    order = uow.repo.get_order(order_id)
                    assert order is not None
                    reserved += sum(line.qty for line in order.lines)
            except errors.OutOfStock:
                refused += 1
            if (worker + n) % 4 == 0:
                location = sorted(STOCK)[(worker + n) % len(STOCK)]
                try:
                    hub.handle(commands.AdjustStock(SKU, location, -1, "cycle count"))
                except errors.HubError:
                    adjust_refused += 1
    finally:
        hub.stop()
        hub.engine.dispose()
    return reserved, refused, adjust_refused


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_eight_workers_never_oversell(kind: str, request: pytest.FixtureRequest) -> None:
    database_url = str(request.getfixturevalue(f"{kind}_url"))
    hub = bootstrap(Settings(database_url=database_url, site="faults"))
    try:
        hub.handle(commands.AddSku(SKU, "Scarce item", "5012345678900", 100.0))
        for n, (location, qty) in enumerate(sorted(STOCK.items())):
            hub.handle(commands.AddLocation(location, location[0], n))
            hub.handle(commands.ReceiveStock(SKU, location, qty))
        plan: list[list[str]] = []
        for worker in range(WORKERS):
            ids = []
            for n in range(ORDERS_PER_WORKER):
                order_id, _ = hub.handle(commands.CreateOrder(
                    "faults", f"W{worker}-{n}", [commands.NewLine(SKU, 1 + (worker + n) % 3)],
                    {"name": "Concurrent"}))
                ids.append(order_id)
            plan.append(ids)
        demand = 0
        with hub.uow(read_only=True) as uow:
            for ids in plan:
                for order_id in ids:
                    order = uow.repo.get_order(order_id)
                    assert order is not None
                    demand += sum(line.qty for line in order.lines)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=WORKERS, mp_context=context) as pool:
            results = list(pool.map(_worker, [database_url] * WORKERS, range(WORKERS), plan))
        reserved = sum(r[0] for r in results)
        found = assert_consistent(hub, SKU)
        on_hand = sum(p.on_hand for p in found)
        held = sum(p.reserved for p in found)
        with hub.uow(read_only=True) as uow:
            released = uow.repo.list_orders("released", 1000, 0)
            released_units = sum(line.qty for o in released for line in o.lines)
    finally:
        hub.stop()
        hub.engine.dispose()
    oversold = max(0, held - on_hand)
    report(f"8 workers reserve ({kind})", attempted=demand, acknowledged=reserved,
           lost=reserved - held, duplicated=held - released_units, stock=sum(STOCK.values()),
           on_hand=on_hand, reserved=held, oversold=oversold,
           orders_refused=sum(r[1] for r in results),
           adjustments_refused=sum(r[2] for r in results))
    assert oversold == 0
    assert held == reserved == released_units
    assert 0 < reserved <= sum(STOCK.values())
    assert sum(r[1] for r in results) > 0, "the stock was not scarce: nothing was refused"
