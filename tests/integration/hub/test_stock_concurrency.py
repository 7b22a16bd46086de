"""Concurrent releases against scarce stock: nothing oversold, ledger equals balances."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from hub import errors
from hub.adapters import orm
from hub.bootstrap import Hub
from hub.domain import commands
from tests.integration.hub.conftest import order

ORDERS = 24
WORKERS = 8


def test_concurrent_releases_never_oversell(warehouse: Hub) -> None:
    # 5 MUG in stock over two locations; 24 orders of one MUG each, released by 8 threads.
    order_ids = [warehouse.handle(order(f"C-{n}", ("MUG", 1)))[0] for n in range(ORDERS)]

    def release(order_id: str) -> bool:
        try:
            warehouse.handle(commands.ReleaseOrder(order_id))
        except errors.OutOfStock:
            return False
        return True

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(release, order_ids))

    assert results.count(True) == 5
    with warehouse.uow() as uow:
        rows = uow.repo.balances("MUG")
        on_hand = sum(r.on_hand for r in rows)
        reserved = sum(r.reserved for r in rows)
        assert (on_hand, reserved) == (5, 5)
        assert all(r.on_hand - r.reserved >= 0 for r in rows)
        m = orm.stock_movements.c
        ledger = dict(uow.session.execute(
            select(m.kind, func.sum(m.qty)).where(m.sku == "MUG").group_by(m.kind)).all())
        assert ledger == {"receive": 5, "reserve": 5}
        released = uow.repo.list_orders("released", 100, 0)
        assert len(released) == 5
