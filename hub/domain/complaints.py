"""Complaints and returns in the domain: the reasons a customer can give, the solutions the
team can offer, and cause tracing — which step of the original order most likely failed,
and who picked and packed it from which bins — derived from that order's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.domain.timeline import Step, TimelineEvent


class ComplaintReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    LATE = "late"
    NOT_AS_DESCRIBED = "not_as_described"
    OTHER = "other"


class Solution(StrEnum):
    REFUND = "refund"  # full or partial, no return needed
    REPLACEMENT = "replacement"
    RETURN = "return"  # return first, then refund or replace


class InspectionAction(StrEnum):
    RESTOCK = "restock"
    WRITE_OFF = "write_off"


class FailedStep(StrEnum):
    WRONG_ITEM_AT_PICK = "wrong_item_at_pick"
    SHORT_PICK = "short_pick"
    WEIGHT_CHECK_OVERRIDDEN = "weight_check_overridden"
    PACKING = "packing"
    COURIER_DAMAGE = "courier_damage"
    COURIER_DELAY = "courier_delay"
    LATE_DISPATCH = "late_dispatch"
    LISTING = "listing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Cause:
    failed_step: FailedStep
    picked_by: tuple[str, ...]
    packed_by: tuple[str, ...]  # actors: ``device`` or ``device/operator``
    bins: tuple[str, ...]  # pick locations of the complained-about SKUs
    evidence: tuple[str, ...] = field(default=())  # the timeline events that point there

    def as_dict(self) -> dict[str, Any]:
        return {"failed_step": str(self.failed_step), "picked_by": list(self.picked_by),
                "packed_by": list(self.packed_by), "bins": list(self.bins),
                "evidence": list(self.evidence)}


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _weight_overridden(timeline: list[TimelineEvent]) -> list[TimelineEvent]:
    mismatches = [e for e in timeline if e.name == "weight_checked"
                  and e.outcome == "weight_mismatch"]
    overrides = [e for e in timeline if e.name == "weight_override"
                 or (e.name == "pack_verified" and e.details.get("override"))]
    return overrides or (mismatches if any(e.name == "pack_verified" for e in timeline) else [])


def trace_cause(reason: ComplaintReason, skus: Iterable[str],
                timeline: Iterable[TimelineEvent]) -> Cause:
    """Which step failed, by the reason given and what the original order's timeline says."""
    events = list(timeline)
    wanted = set(skus)
    picks = [e for e in events if e.name in ("item_picked", "item_short")
             and (not wanted or e.details.get("sku") in wanted)]
    packs = [e for e in events if e.name in ("pack_verified", "order_packed")]
    shorts = [e for e in picks if e.name == "item_short"]
    rejected = [e for e in events if e.name == "scan_rejected" and e.outcome == "wrong_item"]
    overridden = _weight_overridden(events)
    exceptions = [e for e in events if e.step == Step.DELIVERED and e.outcome == "exception"]
    step, evidence = FailedStep.UNKNOWN, list[TimelineEvent]()
    if reason is ComplaintReason.WRONG_ITEM:
        if overridden:
            step, evidence = FailedStep.WEIGHT_CHECK_OVERRIDDEN, overridden
        else:
            step, evidence = FailedStep.WRONG_ITEM_AT_PICK, rejected + picks
    elif reason is ComplaintReason.MISSING_ITEM:
        if shorts:
            step, evidence = FailedStep.SHORT_PICK, shorts
        elif overridden:
            step, evidence = FailedStep.WEIGHT_CHECK_OVERRIDDEN, overridden
        else:
            step, evidence = FailedStep.PACKING, packs
    elif reason is ComplaintReason.DAMAGED:
        if exceptions:
            step, evidence = FailedStep.COURIER_DAMAGE, exceptions
        elif overridden:
            step, evidence = FailedStep.WEIGHT_CHECK_OVERRIDDEN, overridden
        else:
            step, evidence = FailedStep.PACKING, packs
    elif reason is ComplaintReason.LATE:
        handed = [e for e in events if e.name == "handed_over"]
        step = FailedStep.COURIER_DELAY if handed or exceptions else FailedStep.LATE_DISPATCH
        evidence = exceptions or handed
    elif reason is ComplaintReason.NOT_AS_DESCRIBED:
        step = FailedStep.LISTING
    return Cause(step,
                 picked_by=_unique(e.actor for e in picks),
                 packed_by=_unique(e.actor for e in packs),
                 bins=_unique(str(e.details.get("location") or "") for e in picks),
                 evidence=_unique(e.name for e in evidence))


@dataclass(frozen=True)
class CauseRank:
    key: str
    complaints: int


def rank(causes: Iterable[dict[str, Any]], by: str) -> list[CauseRank]:
    """Count complaints per failed step, picker, packer or bin; most first."""
    counts: dict[str, int] = {}
    for cause in causes:
        value = cause.get(by)
        for key in (value if isinstance(value, list) else [value]):
            if key:
                counts[str(key)] = counts.get(str(key), 0) + 1
    return [CauseRank(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
