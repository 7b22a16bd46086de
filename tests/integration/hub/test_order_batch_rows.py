"""The batch path (CreateOrders, set-based inserts) writes the same rows as the single path
(CreateOrder, the ORM), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hub import errors
from hub.adapters import orm
from hub.adapters.notifications.smtp import message_id_for
from hub.adapters.orm_customer import customer_messages
from hub.bootstrap import Hub
from hub.domain import commands
from hub.domain.channel_commands import TrackChannelStock
from tests.integration.hub.conftest import ADDRESS


def make(ref: str, payment: str = "paid", email: str | None = "ada@example.com",
         lines: tuple[tuple[str, int], ...] = (("TEE", 2), ("MUG", 1))) -> commands.CreateOrder:
    return commands.CreateOrder(
        channel="web", channel_ref=ref, ship_to=ADDRESS, payment_status=payment,
        total=Decimal("33.00"), customer_email=email, service_level="express",
        lines=[commands.NewLine(sku, qty, Decimal("12.50")) for sku, qty in lines])


KINDS = [make("1"), make("2", payment="pending", email=None),
         make("3", lines=(("MUG", 3),)), make("4", payment="failed")]


def rows(hub: Hub, prefix: str) -> dict[str, list[Any]]:
    """Every row the orders of ``prefix`` wrote, with ids, times and the prefix taken out."""
    o, ln, tl, cm, ob = (orm.orders.c, orm.order_lines.c, orm.timeline_events.c,
                         customer_messages.c, orm.outbox.c)
    with hub.uow() as uow:
        run = uow.session.execute
        ids = {r.id: r.channel_ref.removeprefix(prefix)
               for r in run(select(o.id, o.channel_ref).where(o.channel_ref.like(f"{prefix}%")))}

        def clean(value: Any) -> Any:
            text = json.dumps(value, default=str, sort_keys=True)
            for order_id, ref in ids.items():
                text = text.replace(order_id, f"<{ref}>")
            text = re.sub(r"<[0-9a-f]{32}@", "<hash@", text)  # the Message-ID of the key
            return json.loads(text.replace(f'"{prefix}', '"'))

        def table(stmt: Any, drop: set[str]) -> list[Any]:
            found = [clean({k: v for k, v in r._mapping.items() if k not in drop})
                     for r in run(stmt)]
            return sorted(found, key=lambda r: json.dumps(r, sort_keys=True))

        found = {
            "orders": table(select(orm.orders).where(o.id.in_(ids)), {"created_at"}),
            "lines": table(select(orm.order_lines).where(ln.order_id.in_(ids)), {"id"}),
            "timeline": table(select(orm.timeline_events).where(tl.order_id.in_(ids)),
                              {"id", "at"}),
            "messages": table(select(customer_messages).where(cm.order_id.in_(ids)),
                              {"created_at"}),
            "outbox": table(select(orm.outbox).where(ob.order_id.in_(ids)), {"id", "created_at"}),
        }
    return found


def test_batch_writes_the_rows_of_single_orders(warehouse: Hub) -> None:
    for cmd in KINDS:
        warehouse.handle(replace(cmd, channel_ref=f"S-{cmd.channel_ref}"))
    results = warehouse.handle(commands.CreateOrders(
        [replace(cmd, channel_ref=f"B-{cmd.channel_ref}") for cmd in KINDS]))
    assert [r[1] for r in results] == [True] * len(KINDS)  # type: ignore[index]
    single_rows, batch_rows = rows(warehouse, "S-"), rows(warehouse, "B-")
    assert {k: len(v) for k, v in batch_rows.items()} == {
        "orders": 4, "lines": 7, "timeline": 12, "messages": 4, "outbox": 4}
    assert batch_rows == single_rows
    with warehouse.uow() as uow:
        for key, message_id in uow.session.execute(select(
                customer_messages.c.key, customer_messages.c.message_id)):
            assert message_id == message_id_for(key, warehouse.settings.message_from)


def test_batch_refuses_bad_orders_in_place_and_stores_the_rest(warehouse: Hub) -> None:
    warehouse.handle(make("E-0"))
    batch = [make("E-1"), make("E-2", lines=(("NOPE", 1),)), make("E-0"),
             make("E-3", lines=()), make("E-4", payment="maybe"), make("E-1"), make("E-5")]
    results = warehouse.handle(commands.CreateOrders(batch))
    assert [type(r).__name__ if isinstance(r, errors.HubError) else r[1] for r in results] == [
        True, "InvalidInput", False, "InvalidInput", "InvalidInput", False, True]
    assert results[5] == (results[0][0], False)  # type: ignore[index]
    assert "NOPE" in results[1].detail  # type: ignore[union-attr]
    stored = rows(warehouse, "E-")
    assert sorted(r["channel_ref"] for r in stored["orders"]) == ["0", "1", "5"]
    assert len(stored["timeline"]) == 9 and len(stored["messages"]) == 3


def test_batch_queues_stock_pushes_for_the_skus_it_took(warehouse: Hub) -> None:
    warehouse.handle(TrackChannelStock("shopify", "L-TEE", "TEE"))  # queues the first push
    warehouse.handle(commands.CreateOrders([make("P-1", lines=(("TEE", 1),)), make("P-2")]))
    with warehouse.uow() as uow:
        o = orm.outbox.c
        pushes = uow.session.execute(select(o.topic, o.payload).where(
            o.kind == "channel_stock")).all()
    assert [p.topic for p in pushes] == ["shopify/L-TEE"]
    payload = json.loads(pushes[0].payload)
    assert (payload["sku"], payload["changes"]) == ("TEE", 2)  # the batch pushed again


def test_a_run_the_database_refuses_is_redone_order_by_order(warehouse: Hub) -> None:
    """qty 0 passes the handler but not the CHECK of order_lines: the set-based insert of its
    run fails, and the run is redone one savepoint per order."""
    batch = [make("D-1"), make("D-2", lines=(("TEE", 0),)), make("D-3")]
    results = warehouse.handle(commands.CreateOrders(batch))
    assert isinstance(results[1], errors.Conflict)
    assert [r[1] for r in (results[0], results[2])] == [True, True]  # type: ignore[index]
    stored = rows(warehouse, "D-")
    assert sorted(r["channel_ref"] for r in stored["orders"]) == ["1", "3"]
    assert (len(stored["lines"]), len(stored["timeline"]), len(stored["messages"]),
            len(stored["outbox"])) == (4, 6, 2, 2)
