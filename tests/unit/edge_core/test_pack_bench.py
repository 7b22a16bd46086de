"""Rules of the pack bench state machine: scan checks, weight check, label printing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from edge.core.effects import AckCommand, PrintLabel, Publish
from edge.core.pack_bench import PackBench, expected_weight, tolerance_for
from edge.core.readings import WeightReading
from edge.wire import messages as wire

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
ENV: dict[str, Any] = {"device_id": "hub", "boot_id": "b", "seq": 0}


def job(ref: str = "R1", *, tolerance_g: float | None = None, packaging_g: float = 50.0,
        command_id: str | None = None, expires_at: datetime | None = None) -> wire.PackJob:
    return wire.PackJob(**ENV, command_id=command_id or f"j-{ref}", order_id=f"O-{ref}",
                        order_ref=ref, packaging_g=packaging_g, tolerance_g=tolerance_g,
                        expires_at=expires_at,
                        lines=[wire.PackLine(sku="MUG", barcode="111", qty=2, unit_weight_g=300),
                               wire.PackLine(sku="TEA", barcode="222", qty=1, unit_weight_g=100)])


def label(ref: str = "R1", command_id: str = "L1") -> wire.PrintLabel:
    return wire.PrintLabel(**ENV, command_id=command_id, order_id=f"O-{ref}", shipment_id="S1",
                           label=wire.LabelData(order_ref=ref, ship_to=["A Person", "1 Road"],
                                                courier="dpd", service="next-day",
                                                tracking_number="TRK1", weight_g=750))


def stable(grams: float) -> WeightReading:
    return WeightReading(grams=grams, stable=True, value=grams, unit="g")


def scanned(bench: PackBench, ref: str = "R1") -> PackBench:
    for code in (ref, "111", "111", "222"):
        assert bench.scan(code) == []
    return bench


def only_event(effects: list[Any]) -> Publish:
    [event] = [e for e in effects if isinstance(e, Publish)]
    return event


def test_expected_weight_and_tolerance_maths() -> None:
    j = job()
    assert expected_weight(j) == 750.0  # 2*300 + 100 + 50
    assert tolerance_for(j, 20.0, 3.0) == pytest.approx(22.5)  # 3% of 750 beats 20 g
    assert tolerance_for(j, 30.0, 3.0) == 30.0
    assert tolerance_for(job(tolerance_g=5.0), 30.0, 3.0) == 5.0
    assert tolerance_for(job(tolerance_g=0.0), 30.0, 3.0) == 0.0


def test_job_is_acked_done() -> None:
    assert PackBench().command(job(), NOW) == [AckCommand("j-R1", "done")]


def test_unknown_order_scan_is_rejected() -> None:
    event = only_event(PackBench().scan("R9"))
    assert event.fields == {"context": "pack", "barcode": "R9", "reason": "unknown_order"}


def test_wrong_item_and_over_quantity_are_rejected() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    bench.scan("R1")
    assert only_event(bench.scan("333")).fields["reason"] == "wrong_item"
    bench.scan("222")
    event = only_event(bench.scan("222"))
    assert event.fields["reason"] == "over_quantity" and event.fields["order_id"] == "O-R1"
    assert bench.remaining("R1") == {"MUG": 2, "TEA": 0}


def test_weight_before_all_items_scanned_is_ignored() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    bench.scan("R1")
    bench.scan("111")
    assert bench.weight(stable(750)) == []


def test_unstable_zero_and_error_readings_are_ignored() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    scanned(bench)
    assert bench.weight(WeightReading(grams=750, stable=False)) == []
    assert bench.weight(stable(0)) == []
    assert bench.weight(WeightReading(grams=None, stable=False, error="overload")) == []


def test_weight_within_tolerance_verifies() -> None:
    bench = PackBench(tolerance_g=20, tolerance_pct=3)
    bench.command(job(), NOW)
    scanned(bench)
    event = only_event(bench.weight(stable(770)))
    assert event.type == "pack_verified"
    assert event.fields["expected_g"] == 750 and event.fields["tolerance_g"] == 22.5
    assert event.fields["lines"] == [{"sku": "MUG", "qty": 2}, {"sku": "TEA", "qty": 1}]
    assert bench.is_verified("R1")


def test_mismatch_holds_label_until_a_later_reading_fits() -> None:
    bench = PackBench(tolerance_g=20, tolerance_pct=3)
    bench.command(job(), NOW)
    scanned(bench)
    assert bench.command(label(), NOW) == []  # held: not verified yet
    event = only_event(bench.weight(stable(800)))
    assert event.type == "weight_mismatch" and event.fields["weight_g"] == 800
    out = bench.weight(stable(760))
    assert only_event(out).type == "pack_verified"
    assert out[-1] == PrintLabel("L1", "O-R1", "S1", label().label)


def test_job_tolerance_override_is_used() -> None:
    bench = PackBench(tolerance_g=100)
    bench.command(job(tolerance_g=5), NOW)
    scanned(bench)
    assert only_event(bench.weight(stable(760))).type == "weight_mismatch"


def test_print_after_verify_then_label_printed_and_ack() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    scanned(bench)
    bench.weight(stable(750))
    assert bench.command(label(), NOW) == [PrintLabel("L1", "O-R1", "S1", label().label)]
    out = bench.label_result("L1")
    assert only_event(out).type == "label_printed"
    assert only_event(out).fields == {"order_id": "O-R1", "shipment_id": "S1",
                                      "tracking_number": "TRK1"}
    assert AckCommand("L1", "done") in out
    assert bench.held_jobs == [] and bench.active_order_ref is None


def test_printer_error_rejects_and_keeps_job_for_reprint() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    scanned(bench)
    bench.weight(stable(750))
    bench.command(label(), NOW)
    out = bench.label_result("L1", "paper out")
    assert out == [AckCommand("L1", "rejected", "printer: paper out")]
    assert bench.held_refs == ["R1"]
    assert bench.command(label(command_id="L2"), NOW) == [
        PrintLabel("L2", "O-R1", "S1", label().label)]


def test_label_for_unknown_order_is_rejected() -> None:
    [ack] = PackBench().command(label(), NOW)
    assert isinstance(ack, AckCommand) and ack.status == "rejected"


def test_same_command_twice_has_one_effect_and_expiry() -> None:
    bench = PackBench()
    assert bench.command(job(), NOW)
    assert bench.command(job(), NOW) == []
    [ack] = bench.command(job("R2", expires_at=NOW - timedelta(minutes=1)), NOW)
    assert isinstance(ack, AckCommand) and ack.status == "expired"
    assert bench.held_refs == ["R1"]


def test_scanning_another_order_switches_the_active_job() -> None:
    bench = PackBench()
    bench.command(job("R1"), NOW)
    bench.command(job("R2"), NOW)
    bench.scan("R1")
    bench.scan("111")
    bench.scan("R2")
    assert bench.active_order_ref == "R2"
    assert bench.remaining("R1")["MUG"] == 1


def test_pick_command_is_rejected_by_a_pack_bench() -> None:
    cancel = wire.CancelTask(**ENV, command_id="c", task_id="T")
    [ack] = PackBench().command(cancel, NOW)
    assert isinstance(ack, AckCommand) and ack.status == "rejected"


def test_snapshot_restore_keeps_scans_verification_and_waiting_label() -> None:
    bench = PackBench()
    bench.command(job(), NOW)
    scanned(bench)
    bench.weight(stable(750))
    bench.command(label(), NOW)  # printing when the process died
    again = PackBench()
    again.restore(bench.snapshot())
    assert again.command(job(), NOW) == []
    assert again.resume() == [PrintLabel("L1", "O-R1", "S1", label().label)]
    assert only_event(again.label_result("L1")).type == "label_printed"


def test_rma_scan_is_published_and_leaves_the_jobs_alone() -> None:
    bench = PackBench()
    bench.command(job("R1"), NOW)
    assert bench.scan("R1") == [] and bench.scan("111") == []
    effects = bench.scan(" rma-7k2qx9pm ")
    assert effects == [Publish(wire.ReturnScanned, {"rma": "RMA-7K2QX9PM"})]
    wire.ReturnScanned(**ENV, **effects[0].fields)  # valid on the wire
    assert bench.active_order_ref == "R1" and bench.remaining("R1") == {"MUG": 1, "TEA": 1}
    assert bench.scan("RMA-") == [Publish(wire.ScanRejected, {
        "context": "pack", "barcode": "RMA-", "reason": "wrong_item", "order_id": "O-R1"})]
