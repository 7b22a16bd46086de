"""Grouping timeline events per order, and the order facts the timeline carries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from hub.analytics.rules import DEFAULT_RULES, Rules
from hub.domain.timeline import Step, TimelineEvent

Timelines = dict[str, list[TimelineEvent]]
Events = Iterable[TimelineEvent] | Timelines


def by_order(events: Events) -> Timelines:
    """Events per order in the order they happened (time, then the id they were stored with).
    Already grouped timelines (a previous answer of this function) pass through as they are."""
    if isinstance(events, dict):
        return events
    grouped: dict[str, list[TimelineEvent]] = defaultdict(list)
    for event in events:
        grouped[event.order_id].append(event)
    for items in grouped.values():
        items.sort(key=lambda e: (e.at, e.id or 0))
    return dict(grouped)


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    received_at: datetime
    channel: str
    courier: str


def order_facts(order_id: str, timeline: list[TimelineEvent],
                rules: Rules = DEFAULT_RULES) -> OrderFacts:
    received = next((e for e in timeline if e.step == Step.ORDER_RECEIVED), timeline[0])
    actor = received.actor
    channel = (actor[len(rules.channel_prefix):] if actor.startswith(rules.channel_prefix)
               else "unknown")
    booked = [e for e in timeline if e.step == Step.SHIPPING_BOOKED
              and e.details.get(rules.courier_detail)]
    courier = str(booked[-1].details[rules.courier_detail]) if booked else "none"
    return OrderFacts(order_id, received.at, channel, courier)


def period_key(at: datetime, period: str) -> str:
    """``day`` → 2026-03-02; ``week`` → ISO week 2026-W10."""
    if period == "day":
        return at.date().isoformat()
    if period == "week":
        year, week, _ = date.isocalendar(at.date())
        return f"{year}-W{week:02d}"
    raise ValueError(f"period must be day or week, not {period!r}")


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
