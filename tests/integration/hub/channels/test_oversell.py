"""The last unit sold on two channels at once: one order gets it, the other is flagged
oversold and release never reserves stock that is not there."""

from __future__ import annotations

import json
import threading

import pytest

from hub.bootstrap import Hub
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.domain.commands import Command
from hub.errors import OutOfStock
from hub.service_layer.channels.intake import IngestResult
from hub.service_layer.channels.polling import handle_retrying
from tests.integration.hub.channels.support import map_samples, raw
from tests.integration.hub.conftest import ADDRESS

CSV = ("order_ref,sku,qty,unit_price,name,line1,city,postcode,country,payment_status\n"
       "PH-9,MUG,1,9.00,{name},{line1},{city},{postcode},{country},paid\n").format(**ADDRESS)


def test_last_unit_on_two_channels(warehouse: Hub) -> None:
    map_samples(warehouse)
    warehouse.handle(commands.CreateOrder(  # MUG: 5 on hand, 4 of them for an earlier order
        channel="web", channel_ref="W-1", lines=[commands.NewLine("MUG", 4)],
        ship_to=ADDRESS))
    ebay = json.dumps(json.loads(raw("ebay_sell_fulfillment_getOrders_response_anonymized"))[
        "orders"][0])
    results: list[IngestResult] = []
    barrier = threading.Barrier(2)

    def sell(command: Command) -> None:
        barrier.wait()
        outcome = handle_retrying(warehouse.handle, command)
        results.extend(outcome[0] if isinstance(outcome, tuple) else [outcome])

    threads = [threading.Thread(target=sell, args=(cc.IngestChannelOrder("ebay", ebay),)),
               threading.Thread(target=sell, args=(cc.ImportCsvOrders(CSV),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status for r in results) == ["created", "created"]
    oversold = [r for r in results if r.reason and r.reason.startswith("oversold")]
    sold = [r for r in results if not r.reason]
    assert len(oversold) == 1 and len(sold) == 1
    assert "MUG wants 1, 0 free" in (oversold[0].reason or "")
    with warehouse.uow(read_only=True) as uow:
        flags = [(e.name, e.outcome) for e in uow.repo.timeline(oversold[0].order_id or "")]
    assert ("oversold", "oversold") in flags
    with warehouse.uow(read_only=True) as uow:
        first = uow.repo.order_by_channel_ref("web", "W-1")
    assert first is not None
    warehouse.handle(commands.ReleaseOrder(first.id))
    warehouse.handle(commands.ReleaseOrder(sold[0].order_id or ""))
    with pytest.raises(OutOfStock):
        warehouse.handle(commands.ReleaseOrder(oversold[0].order_id or ""))
    with warehouse.uow(read_only=True) as uow:
        assert uow.repo.available("MUG") == 0


def test_the_oversold_flag_is_written_with_the_order(warehouse: Hub) -> None:
    """One commit holds the order and its flag: no reader ever sees it unflagged."""
    from sqlalchemy import event

    map_samples(warehouse)
    warehouse.handle(commands.CreateOrder(  # all 5 MUGs wanted by an earlier order
        channel="web", channel_ref="W-1", lines=[commands.NewLine("MUG", 5)],
        ship_to=ADDRESS))
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(warehouse.engine, "commit", count)
    try:
        result = warehouse.handle(cc.ImportCsvOrders(CSV))
    finally:
        event.remove(warehouse.engine, "commit", count)
    (created,) = result[0] if isinstance(result, tuple) else [result]
    assert created.status == "created" and (created.reason or "").startswith("oversold")
    assert len(commits) == 1
    with warehouse.uow(read_only=True) as uow:
        names = [e.name for e in uow.repo.timeline(created.order_id or "")]
    assert names[0] == "order_received" and "oversold" in names
