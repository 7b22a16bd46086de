"""Rules of the put-to-light pick zone state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from edge.core.effects import AckCommand, ClearAll, ClearSlot, LightSlot, Publish
from edge.core.pick_zone import PickZone
from edge.core.readings import ButtonPress
from edge.wire.messages import CancelTask, PackJob, PackLine, PickLine, PickTask

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SLOTS = ["A01-01-A", "A01-02-A", "A01-03-A"]
ENV: dict[str, Any] = {"device_id": "hub", "boot_id": "b", "seq": 0}


def task(task_id: str = "T1", *, command_id: str | None = None, colour: str = "green",
         picks: list[tuple[str, str, int]] | None = None,
         expires_at: datetime | None = None) -> PickTask:
    picks = picks or [("A01-01-A", "400001", 2), ("A01-02-A", "400002", 1)]
    return PickTask(**ENV, command_id=command_id or f"c-{task_id}", task_id=task_id,
                    order_id=f"O-{task_id}", colour=colour, expires_at=expires_at,
                    picks=[PickLine(pick_id=f"{task_id}-p{i}", location=loc, sku=f"SKU{code}",
                                    barcode=code, qty=qty)
                           for i, (loc, code, qty) in enumerate(picks)])


def events(effects: list[Any]) -> list[Publish]:
    return [e for e in effects if isinstance(e, Publish)]


def test_task_is_acked_and_first_pick_lit_in_task_colour() -> None:
    zone = PickZone(SLOTS)
    out = zone.command(task(colour="blue"), NOW)
    assert out == [AckCommand("c-T1", "done"), LightSlot("A01-01-A", "blue", 2)]


def test_right_scan_confirms_clears_and_lights_next_pick() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(), NOW)
    out = zone.scan("400001")
    [event] = events(out)
    assert event.type == "pick_confirmed"
    assert event.fields["method"] == "scan" and event.fields["qty"] == 2
    assert event.fields["pick_id"] == "T1-p0" and event.fields["location"] == "A01-01-A"
    assert out[1:] == [ClearSlot("A01-01-A"), LightSlot("A01-02-A", "green", 1)]


def test_confirm_button_on_lit_slot_confirms_by_button() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(), NOW)
    out = zone.button(ButtonPress("A01-01-A", "confirm"))
    assert events(out)[0].fields["method"] == "button"


def test_button_on_another_slot_is_ignored() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(), NOW)
    assert zone.button(ButtonPress("A01-03-A", "confirm")) == []


def test_wrong_scan_is_rejected_and_blinks_red_without_advancing() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(), NOW)
    out = zone.scan("999")
    [event] = events(out)
    assert event.type == "scan_rejected"
    assert event.fields == {"context": "pick", "barcode": "999", "reason": "wrong_item",
                            "order_id": "O-T1", "task_id": "T1"}
    assert LightSlot("A01-01-A", "red", 2, blink=True) in out
    assert zone.barcode_at("A01-01-A") == "400001"


def test_scan_without_task_is_rejected() -> None:
    out = PickZone(SLOTS).scan("400001")
    assert events(out)[0].fields["reason"] == "no_active_task"


def test_short_button_reports_short_and_moves_on() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(), NOW)
    out = zone.button(ButtonPress("A01-01-A", "short"))
    [event] = events(out)
    assert event.type == "pick_short"
    assert event.fields["qty_short"] == 2 and event.fields["qty_picked"] == 0
    assert out[-1] == LightSlot("A01-02-A", "green", 1)


def test_tasks_are_served_first_in_first_out() -> None:
    zone = PickZone(SLOTS)
    zone.command(task("T1", picks=[("A01-01-A", "1", 1)]), NOW)
    out = zone.command(task("T2", colour="blue", picks=[("A01-03-A", "3", 1)]), NOW)
    assert out == [AckCommand("c-T2", "done")]  # queued, not lit yet
    out = zone.scan("1")
    assert out[-1] == LightSlot("A01-03-A", "blue", 1)
    assert zone.scan("3")[-1] == ClearSlot("A01-03-A")
    assert zone.held_tasks == []


def test_same_command_twice_has_one_effect() -> None:
    zone = PickZone(SLOTS)
    first = task()
    assert zone.command(first, NOW)
    assert zone.command(first, NOW) == []
    assert len(zone.held_tasks) == 1


def test_same_task_under_a_new_command_id_is_not_queued_twice() -> None:
    zone = PickZone(SLOTS)
    zone.command(task(command_id="a"), NOW)
    out = zone.command(task(command_id="b"), NOW)
    assert out == [AckCommand("b", "done", "task already held")]
    assert len(zone.held_tasks) == 1


def test_location_without_light_is_rejected_with_reason() -> None:
    zone = PickZone(SLOTS)
    [ack] = zone.command(task(picks=[("B09-01-A", "1", 1)]), NOW)
    assert isinstance(ack, AckCommand) and ack.status == "rejected"
    assert ack.reason is not None and "B09-01-A" in ack.reason
    assert zone.held_tasks == []


def test_expired_command_is_acked_expired_and_not_applied() -> None:
    zone = PickZone(SLOTS)
    [ack] = zone.command(task(expires_at=NOW - timedelta(seconds=1)), NOW)
    assert isinstance(ack, AckCommand) and ack.status == "expired"
    assert zone.held_tasks == []


def test_naive_expiry_is_read_as_utc() -> None:
    zone = PickZone(SLOTS)
    out = zone.command(task(expires_at=datetime(2025, 1, 1, 13, 0)), NOW)
    assert out[0] == AckCommand("c-T1", "done")


def test_cancel_current_task_clears_and_lights_next() -> None:
    zone = PickZone(SLOTS)
    zone.command(task("T1"), NOW)
    zone.command(task("T2", picks=[("A01-03-A", "3", 4)]), NOW)
    out = zone.command(CancelTask(**ENV, command_id="x", task_id="T1"), NOW)
    assert out == [AckCommand("x", "done"), ClearSlot("A01-01-A"),
                   LightSlot("A01-03-A", "green", 4)]


def test_cancel_unknown_task_is_done_with_reason() -> None:
    out = PickZone(SLOTS).command(CancelTask(**ENV, command_id="x", task_id="nope"), NOW)
    assert out == [AckCommand("x", "done", "task not held")]


def test_pack_command_is_rejected_by_a_pick_zone() -> None:
    job = PackJob(**ENV, command_id="j", order_id="O", order_ref="R",
                  lines=[PackLine(sku="S", barcode="1", qty=1, unit_weight_g=10)])
    [ack] = PickZone(SLOTS).command(job, NOW)
    assert isinstance(ack, AckCommand) and ack.status == "rejected"


def test_snapshot_restore_keeps_progress_and_idempotency() -> None:
    zone = PickZone(SLOTS)
    first = task()
    zone.command(first, NOW)
    zone.scan("400001")
    again = PickZone(SLOTS)
    again.restore(zone.snapshot())
    assert again.relight() == [ClearAll(), LightSlot("A01-02-A", "green", 1)]
    assert again.command(first, NOW) == []
    assert events(again.scan("400002"))[0].fields["pick_id"] == "T1-p1"


def test_wave_trip_events_name_each_picks_own_order() -> None:
    zone = PickZone(SLOTS)
    trip = PickTask(**ENV, command_id="c-trip", task_id="trp_1", order_id="O-1", picks=[
        PickLine(pick_id="p1", location="A01-01-A", sku="SKU1", barcode="1", qty=1,
                 order_id="O-1", tote=1),
        PickLine(pick_id="p2", location="A01-02-A", sku="SKU2", barcode="2", qty=1,
                 order_id="O-2", tote=2),
        PickLine(pick_id="p3", location="A01-03-A", sku="SKU3", barcode="3", qty=2,
                 order_id="O-2", tote=2)])
    zone.command(trip, NOW)
    [first] = events(zone.scan("1"))
    [wrong] = events(zone.scan("9"))
    [second] = events(zone.scan("2"))
    [short] = events(zone.button(ButtonPress("A01-03-A", "short")))
    assert [first.fields["order_id"], wrong.fields["order_id"], second.fields["order_id"],
            short.fields["order_id"]] == ["O-1", "O-2", "O-2", "O-2"]
    assert {e.fields["task_id"] for e in (first, wrong, second, short)} == {"trp_1"}
