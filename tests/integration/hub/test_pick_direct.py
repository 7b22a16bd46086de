"""A scan alone in its transaction takes the direct path (plain SQL writes) when it is the
usual case; it must write exactly what the object path writes, on SQLite and PostgreSQL,
and hand everything else to the object path with nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from edge.wire import messages as wire
from edge.wire import topics
from hub import errors
from hub.adapters import orm
from hub.bootstrap import Hub
from hub.domain import commands
from hub.service_layer.handlers import pick_direct
from tests.integration.hub.analytics_flow import ZONE, send
from tests.integration.hub.conftest import order


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each call of the direct path answered (it still runs): ``applied``, or
    ``claimed`` when it left the scan to the object path."""
    answers: list[str] = []
    real = pick_direct.confirm

    def recorded(*args: Any) -> str:
        answers.append(real(*args))
        return answers[-1]

    monkeypatch.setattr(pick_direct, "confirm", recorded)
    return answers


def released(hub: Hub, ref: str) -> tuple[str, list[dict[str, Any]]]:
    """A released order of 3 TEE and 1 MUG: its id and its picks."""
    order_id, _ = hub.handle(order(ref, ("TEE", 3), ("MUG", 1)))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        picks = [{"task_id": task.id, "pick_id": pick.id, "order_id": order_id,
                  "sku": pick.sku, "location": pick.location}
                 for task in uow.repo.tasks_for_order(order_id) for pick in task.picks]
    return order_id, sorted(picks, key=lambda p: p["sku"], reverse=True)  # TEE first


def scan_all(hub: Hub, picks: list[dict[str, Any]]) -> None:
    """TEE by 1 then 2 (the second finishes its pick), then the MUG (finishes the order)."""
    tee, mug = picks
    send(hub, ZONE, wire.PickConfirmed, qty=1, method="scan", operator="amy", **tee)
    send(hub, ZONE, wire.PickConfirmed, qty=2, method="button", **tee)
    send(hub, ZONE, wire.PickConfirmed, qty=1, method="scan", **mug)


def rows(hub: Hub, order_id: str, ref: str) -> dict[str, Any]:
    """What the scans of one order wrote, with ids, the order's own id and reference, and
    its task's colour (one per task on the floor) taken out."""
    t, p, ln, tl, mv = (orm.pick_tasks.c, orm.picks.c, orm.order_lines.c,
                        orm.timeline_events.c, orm.stock_movements.c)
    with hub.uow() as uow:
        run = uow.session.execute
        task_ids = [r.id for r in run(select(t.id).where(t.order_id == order_id))]

        def table(stmt: Any, drop: set[str]) -> list[Any]:
            found = [{k: v for k, v in r._mapping.items() if k not in drop} for r in run(stmt)]
            text = json.dumps(found, default=str, sort_keys=True).replace(order_id, "<order>")
            text = text.replace(f'"{ref}"', '"<ref>"')
            for n, task_id in enumerate(task_ids):
                text = text.replace(task_id, f"<task{n}>")
            return sorted(json.loads(text), key=lambda r: json.dumps(r, sort_keys=True))

        return {
            "order": table(select(orm.orders.c.status).where(orm.orders.c.id == order_id),
                           set()),
            "tasks": table(select(orm.pick_tasks).where(t.order_id == order_id),
                           {"id", "created_at", "colour"}),
            "picks": table(select(orm.picks).where(p.task_id.in_(task_ids)), {"id"}),
            "lines": table(select(orm.order_lines).where(ln.order_id == order_id), {"id"}),
            "timeline": table(select(orm.timeline_events).where(tl.order_id == order_id),
                              {"id", "at"}),
            "ledger": table(select(orm.stock_movements).where(mv.order_id == order_id),
                            {"id", "at"}),
            "outbox": table(select(orm.outbox.c.kind).where(orm.outbox.c.order_id == order_id),
                            set()),
        }


def test_direct_scans_write_what_the_object_path_writes(warehouse: Hub, taken: list[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    direct_id, direct_picks = released(warehouse, "D-1")
    object_id, object_picks = released(warehouse, "O-1")
    scan_all(warehouse, direct_picks)
    # two TEE scans written directly; the MUG finishes the order (a pack job goes out) and
    # takes MUG below its reorder level: both the object path's
    assert taken == ["applied", "applied", "claimed"]
    monkeypatch.setattr(pick_direct, "_usual", lambda *args: False)  # all by the object path
    warehouse.handle(commands.ReceiveStock("MUG", "A01-01-A", 1))  # at its reorder level again
    scan_all(warehouse, object_picks)
    direct, by_objects = rows(warehouse, direct_id, "D-1"), rows(warehouse, object_id, "O-1")
    assert direct == by_objects
    assert direct["order"] == [{"status": "picked"}]
    assert [r["status"] for r in direct["picks"]] == ["done", "done"]
    names = [r["name"] for r in direct["timeline"]]
    assert names.count("item_picked") == 3 and "restock_needed" in names
    assert sorted(r["qty"] for r in direct["ledger"] if r["kind"] == "pick") == [-2, -1, -1]


def test_a_scan_that_does_not_fit_is_refused_by_the_object_path_with_nothing_written(
        warehouse: Hub, taken: list[str]) -> None:
    order_id, (tee, _mug) = released(warehouse, "R-1")
    before = rows(warehouse, order_id, "")
    with pytest.raises(errors.Conflict, match="wants 3; 4 more is too many"):
        send(warehouse, ZONE, wire.PickConfirmed, qty=4, method="scan", **tee)
    with pytest.raises(errors.InvalidInput, match="not MUG at A01-02-A"):
        send(warehouse, ZONE, wire.PickConfirmed, qty=1, method="scan",
             **{**tee, "sku": "MUG"})
    with pytest.raises(errors.NotFound, match="not in task"):
        send(warehouse, ZONE, wire.PickConfirmed, qty=1, method="scan",
             **{**tee, "pick_id": "nope"})
    assert taken == ["claimed", "claimed", "claimed"]
    assert rows(warehouse, order_id, "") == before


def test_a_scan_the_stock_no_longer_covers_is_refused_with_nothing_written(
        warehouse: Hub, taken: list[str]) -> None:
    order_id, (tee, _mug) = released(warehouse, "S-1")
    with warehouse.uow() as uow:  # the shelf was counted short meanwhile, behind the hub
        b = orm.stock_balances.c
        uow.session.execute(orm.stock_balances.update().where(
            b.sku == "TEE", b.location == tee["location"]).values(reserved=0))
        uow.session.commit()
    before = rows(warehouse, order_id, "")
    with pytest.raises(errors.Conflict, match="is not reserved for order"):
        send(warehouse, ZONE, wire.PickConfirmed, qty=1, method="scan", **tee)
    assert taken == ["claimed"]
    assert rows(warehouse, order_id, "") == before


def test_a_scan_sent_again_is_a_duplicate_with_one_effect(warehouse: Hub,
                                                          taken: list[str]) -> None:
    order_id, (tee, _mug) = released(warehouse, "T-1")
    event = wire.PickConfirmed(device_id=ZONE, boot_id="b1", seq=1, qty=1, method="scan", **tee)
    topic = topics.event(warehouse.settings.site, ZONE, "pick_confirmed")
    outcomes = [warehouse.handle(commands.DeviceMessage(topic, event)) for _ in range(2)]
    assert outcomes == ["applied", "duplicate"]
    assert taken == ["applied", "duplicate"]
    written = rows(warehouse, order_id, "T-1")
    assert [r["qty_picked"] for r in written["picks"] if r["sku"] == "TEE"] == [1]
    assert [r["qty"] for r in written["ledger"] if r["kind"] == "pick"] == [-1]
