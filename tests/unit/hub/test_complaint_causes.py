"""Cause tracing: which step of the original order a complaint points at, and who/where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.domain.complaints import ComplaintReason, FailedStep, rank, trace_cause
from hub.domain.timeline import Step, TimelineEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(step: Step, name: str, minute: int, actor: str = "system", outcome: str = "ok",
       **details: Any) -> TimelineEvent:
    return TimelineEvent("ord_1", step, name, T0 + timedelta(minutes=minute), actor, outcome,
                         details)


def shipped(*extra: TimelineEvent) -> list[TimelineEvent]:
    return [ev(Step.PICKED, "item_picked", 1, "zone-a/alice", sku="MUG", location="A01-01-A"),
            ev(Step.PICKED, "item_picked", 2, "zone-b/bob", sku="TEE", location="B01-01-A"),
            *extra,
            ev(Step.PACKED, "pack_verified", 5, "bench-1/carol"),
            ev(Step.HANDED_OVER, "handed_over", 9)]


def test_wrong_item_points_at_the_pick_of_that_sku() -> None:
    cause = trace_cause(ComplaintReason.WRONG_ITEM, ["MUG"], shipped())
    assert cause.failed_step is FailedStep.WRONG_ITEM_AT_PICK
    assert (cause.picked_by, cause.bins) == (("zone-a/alice",), ("A01-01-A",))
    assert cause.packed_by == ("bench-1/carol",)


def test_a_weight_mismatch_that_was_packed_anyway_is_the_cause() -> None:
    mismatch = ev(Step.PACKED, "weight_checked", 4, "bench-1/carol", "weight_mismatch")
    cause = trace_cause(ComplaintReason.WRONG_ITEM, ["MUG"], shipped(mismatch))
    assert cause.failed_step is FailedStep.WEIGHT_CHECK_OVERRIDDEN
    assert cause.evidence == ("weight_checked",)


def test_damage_after_a_courier_exception_is_the_courier() -> None:
    hit = ev(Step.DELIVERED, "tracking_exception", 20, "dpd", "exception")
    assert trace_cause(ComplaintReason.DAMAGED, ["TEE"], [*shipped(), hit]).failed_step \
        is FailedStep.COURIER_DAMAGE
    assert trace_cause(ComplaintReason.DAMAGED, ["TEE"], shipped()).failed_step \
        is FailedStep.PACKING


def test_missing_item_after_a_short_pick() -> None:
    short = ev(Step.PICKED, "item_short", 3, "zone-a/alice", "short", sku="MUG",
               location="A01-01-A")
    cause = trace_cause(ComplaintReason.MISSING_ITEM, ["MUG"], shipped(short))
    assert cause.failed_step is FailedStep.SHORT_PICK and cause.evidence == ("item_short",)


def test_rank_counts_each_key_most_first() -> None:
    causes = [trace_cause(ComplaintReason.WRONG_ITEM, ["MUG"], shipped()).as_dict()
              for _ in range(2)]
    causes.append(trace_cause(ComplaintReason.DAMAGED, ["TEE"], shipped()).as_dict())
    assert [(r.key, r.complaints) for r in rank(causes, "failed_step")] == [
        ("wrong_item_at_pick", 2), ("packing", 1)]
    assert [(r.key, r.complaints) for r in rank(causes, "bins")] == [
        ("A01-01-A", 2), ("B01-01-A", 1)]
