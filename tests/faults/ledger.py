"""Stock balances against the ledger that explains them, read from the hub's database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from hub.adapters import orm
from hub.bootstrap import Hub

ON_HAND_KINDS = ("receive", "adjust", "pick", "return")
RESERVED_KINDS = ("reserve", "pick", "release")


@dataclass(frozen=True)
class Position:
    location: str
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int


def positions(hub: Hub, sku: str) -> list[Position]:
    """Every location of ``sku``: its balance row and the sums of its ledger rows."""
    m = orm.stock_movements.c
    with hub.uow(read_only=True) as uow:
        rows = uow.repo.balances(sku)
        sums = uow.session.execute(
            select(m.location, m.kind, func.sum(m.qty)).where(m.sku == sku)
            .group_by(m.location, m.kind)).all()
    by_location: dict[str, dict[str, int]] = {}
    for location, kind, qty in sums:
        by_location.setdefault(location, {})[kind] = int(qty or 0)
    result = []
    for row in rows:
        kinds = by_location.get(row.location, {})
        result.append(Position(row.location, row.on_hand, row.reserved,
                               sum(kinds.get(k, 0) for k in ON_HAND_KINDS),
                               sum(kinds.get(k, 0) for k in RESERVED_KINDS)))
    return result


def assert_consistent(hub: Hub, sku: str) -> list[Position]:
    """stock >= 0, reserved <= on hand, ledger == balance, at every location."""
    found = positions(hub, sku)
    for p in found:
        assert p.on_hand >= 0, p
        assert 0 <= p.reserved <= p.on_hand, p
        assert (p.ledger_on_hand, p.ledger_reserved) == (p.on_hand, p.reserved), p
    return found
