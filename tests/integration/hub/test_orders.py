"""Orders through the service layer on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub import errors
from hub.bootstrap import Hub
from hub.domain import commands
from tests.integration.hub.conftest import order


def balances(hub: Hub) -> dict[tuple[str, str], tuple[int, int]]:
    with hub.uow() as uow:
        return {(r.sku, r.location): (r.on_hand, r.reserved) for r in uow.repo.balances()}


def test_order_is_stored_once_per_channel_reference(warehouse: Hub) -> None:
    first_id, created = warehouse.handle(order("W-1", ("MUG", 1)))
    again_id, created_again = warehouse.handle(order("W-1", ("MUG", 2)))
    other_channel_id, _ = warehouse.handle(order("W-1", ("MUG", 1), channel="shopify"))
    assert (created, created_again) == (True, False)
    assert again_id == first_id
    assert other_channel_id != first_id
    with warehouse.uow() as uow:
        stored = uow.repo.get_order(first_id)
        assert stored is not None and [(line.sku, line.qty) for line in stored.lines] == [
            ("MUG", 1)]
        assert len(uow.repo.list_orders(None, 100, 0)) == 2


def test_new_order_timeline_has_steps_1_2_4(warehouse: Hub) -> None:
    order_id, _ = warehouse.handle(order("W-2", ("TEE", 2)))
    with warehouse.uow() as uow:
        steps = [(e.step, e.name, e.outcome) for e in uow.repo.timeline(order_id)]
        assert uow.repo.get_order(order_id).status == "ready"  # type: ignore[union-attr]
    assert steps == [(1, "order_received", "ok"), (2, "payment_confirmed", "ok"),
                     (4, "order_recorded", "ok")]


def test_release_reserves_across_locations_and_cuts_a_task_per_zone(warehouse: Hub) -> None:
    order_id, _ = warehouse.handle(order("W-3", ("MUG", 4), ("TEE", 1)))
    task_ids = warehouse.handle(commands.ReleaseOrder(order_id))
    assert balances(warehouse) == {("MUG", "A01-01-A"): (3, 3), ("MUG", "B01-01-A"): (2, 1),
                                   ("TEE", "A01-02-A"): (10, 1)}
    with warehouse.uow() as uow:
        tasks = {t.zone: [(p.location, p.sku, p.qty) for p in t.picks]
                 for t in uow.repo.tasks_for_order(order_id)}
        assert sorted(t.id for t in uow.repo.tasks_for_order(order_id)) == sorted(task_ids)
    assert tasks == {"A": [("A01-01-A", "MUG", 3), ("A01-02-A", "TEE", 1)],
                     "B": [("B01-01-A", "MUG", 1)]}


def test_release_without_enough_stock_changes_nothing(warehouse: Hub) -> None:
    order_id, _ = warehouse.handle(order("W-4", ("TEE", 1), ("MUG", 6)))
    before = balances(warehouse)
    with pytest.raises(errors.OutOfStock, match="MUG"):
        warehouse.handle(commands.ReleaseOrder(order_id))
    assert balances(warehouse) == before
    with warehouse.uow() as uow:
        assert uow.repo.get_order(order_id).status == "ready"  # type: ignore[union-attr]
        assert uow.repo.tasks_for_order(order_id) == []


def test_unpaid_order_is_held_and_cannot_be_released(warehouse: Hub) -> None:
    order_id, _ = warehouse.handle(order("W-5", ("TEE", 1), payment="pending"))
    with pytest.raises(errors.InvalidTransition, match="waiting for payment"):
        warehouse.handle(commands.ReleaseOrder(order_id))
    assert balances(warehouse)[("TEE", "A01-02-A")] == (10, 0)


def test_unknown_sku_is_refused_and_nothing_is_stored(warehouse: Hub) -> None:
    with pytest.raises(errors.InvalidInput, match="NOPE"):
        warehouse.handle(order("W-6", ("MUG", 1), ("NOPE", 1)))
    with warehouse.uow() as uow:
        assert uow.repo.order_by_channel_ref("web", "W-6") is None


def test_adjust_below_reserved_is_refused(warehouse: Hub) -> None:
    order_id, _ = warehouse.handle(order("W-7", ("TEE", 8)))
    warehouse.handle(commands.ReleaseOrder(order_id))
    with pytest.raises(errors.Conflict, match="below"):
        warehouse.handle(commands.AdjustStock("TEE", "A01-02-A", -3, "count"))
    warehouse.handle(commands.AdjustStock("TEE", "A01-02-A", -2, "damaged"))
    assert balances(warehouse)[("TEE", "A01-02-A")] == (8, 8)
