"""What the timeline's event names mean to the analytics, kept as data.

Handlers record events by name (``order.record(step, "item_short", ...)``). New features add
new names (complaints, returns, delivery scans); teaching the analytics about them is a change
to the tables here (or a ``Rules`` built by the caller), not to the functions that use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.domain.timeline import OK, Step, TimelineEvent


@dataclass(frozen=True)
class Match:
    """Matches an event by name, and optionally by outcome or a detail being truthy."""

    name: str
    outcome: str | None = None
    detail: str | None = None

    def __call__(self, event: TimelineEvent) -> bool:
        if event.name != self.name:
            return False
        if self.outcome is not None and event.outcome != self.outcome:
            return False
        return self.detail is None or bool(event.details.get(self.detail))


@dataclass(frozen=True)
class Requirement:
    """A step the process expects: when ``trigger`` happened, ``needs`` must have happened
    earlier (with ``anytime=True``: at any time, before or after it)."""

    code: str
    description: str
    trigger: tuple[Match, ...]
    needs: tuple[Match, ...]
    anytime: bool = False


@dataclass(frozen=True)
class Rules:
    # POP: each failed criterion names the events that fail it
    incomplete: tuple[Match, ...]
    damaged: tuple[Match, ...]
    wrong_documents: tuple[Match, ...]
    delivered: tuple[Match, ...]  # the first one found is the delivery time
    # errors per step: first matching kind wins; an outcome not listed is its own kind
    error_kinds: tuple[tuple[Match, str], ...]
    not_errors: frozenset[str]  # outcomes that are states, not mistakes
    # events that mark the start of work at a step (queue ends there) when devices send them
    work_started: tuple[Match, ...]
    expected: tuple[Requirement, ...]
    # the "order_received" event's actor is "channel:<name>"
    channel_prefix: str = "channel:"
    courier_detail: str = "courier"
    extra: dict[str, Any] = field(default_factory=dict)


def any_match(matches: tuple[Match, ...], event: TimelineEvent) -> bool:
    name = event.name
    for match in matches:  # noqa: SIM110 -- a plain loop is faster; runs per event
        if match.name == name and match(event):
            return True
    return False


DEFAULT_RULES = Rules(
    incomplete=(Match("item_short"), Match("order_picked", outcome="short"),
                Match("complaint_recorded", outcome="missing_item"),
                Match("complaint_recorded", outcome="wrong_item"),
                Match("replacement_created")),
    damaged=(Match("complaint_recorded", outcome="damaged"),
             Match("return_received", outcome="damaged"),
             Match("delivery_exception", outcome="damaged")),
    wrong_documents=(Match("label_printed", detail="reprint"), Match("label_reprinted"),
                     Match("invoice_corrected"),
                     Match("complaint_recorded", outcome="wrong_documents")),
    delivered=(Match("delivered"), Match("delivery_confirmed")),
    error_kinds=(
        (Match("scan_rejected", outcome="wrong_item"), "wrong_item"),
        (Match("scan_rejected"), "mis_scan"),
        (Match("item_short"), "short_pick"),
        (Match("order_picked", outcome="short"), "short_order"),
        (Match("weight_checked", outcome="weight_mismatch"), "weight_mismatch"),
        (Match("label_printed", detail="reprint"), "label_reprint"),
        (Match("label_reprinted"), "label_reprint"),
        (Match("booking_failed"), "booking_failure"),
        (Match("shipping_booking_failed"), "booking_failure"),
        (Match("delivery_exception"), "delivery_exception"),
        (Match("pick_task_refused"), "task_refused"),
    ),
    not_errors=frozenset({OK, "payment_pending", "payment_failed", "payment_refunded",
                          "replaced", "written_off"}),
    work_started=(Match("pick_started"), Match("pack_started")),
    expected=(
        Requirement("label_without_pack_check",
                    "label printed without a verified pack (scan and weight)",
                    trigger=(Match("label_printed"),), needs=(Match("pack_verified"),)),
        Requirement("weight_check_overridden", "pack verified with the weight check overridden",
                    trigger=(Match("pack_verified", detail="override"),
                             Match("weight_override"),), needs=()),
        Requirement("packed_without_pick_confirmation",
                    "packed or shipped with no pick confirmation",
                    trigger=(Match("pack_verified"), Match("handed_over")),
                    needs=(Match("order_picked"),)),
        Requirement("shipped_without_booking", "handed to the courier with no booking",
                    trigger=(Match("handed_over"),), needs=(Match("shipping_booked"),)),
        Requirement("no_customer_confirmation", "order released with no confirmation sent",
                    trigger=(Match("order_released"),), needs=(Match("customer_notified"),),
                    anytime=True),
        Requirement("no_shipping_notification", "handed over with no shipping notification",
                    trigger=(Match("handed_over"),), needs=(Match("shipping_notified"),),
                    anytime=True),
    ),
)


def step_of(event: TimelineEvent) -> Step:
    return Step(event.step)
