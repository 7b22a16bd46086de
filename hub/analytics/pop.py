"""Perfect Order Percentage from the timeline, with the reasons each order is not perfect.

An order counts once it has been shipped or at least labelled (it could still fail a
criterion later, e.g. a damage complaint; the figure is as of now). Perfect = complete,
on time (where a promise and a delivery are known), undamaged, right documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hub.analytics.rules import DEFAULT_RULES, Match, Rules, any_match
from hub.analytics.timelines import Events, by_order, order_facts, period_key
from hub.domain.timeline import Step, TimelineEvent

GROUPINGS = ("day", "week", "channel", "courier")
CRITERIA = ("complete", "on_time", "undamaged", "right_documents")
COUNTED_FROM = (Match("label_printed"), Match("handed_over"))


@dataclass(frozen=True)
class OrderVerdict:
    order_id: str
    received_at: datetime
    channel: str
    courier: str
    perfect: bool
    reasons: tuple[str, ...]  # e.g. "incomplete: item_short MUG"


@dataclass(frozen=True)
class PopRow:
    group: str
    orders: int
    perfect: int
    pop: float  # percent
    causes: dict[str, int]  # criterion failed -> orders


def _why(event: TimelineEvent) -> str:
    sku = event.details.get("sku")
    suffix = f" {sku}" if sku else ""
    outcome = "" if event.outcome == "ok" else f" ({event.outcome})"
    return f"{event.name}{outcome}{suffix}"


def judge(order_id: str, timeline: list[TimelineEvent],
          promised_by: datetime | None = None, rules: Rules = DEFAULT_RULES) -> OrderVerdict:
    """Why one order is or is not perfect. ``promised_by`` comes from the order when the
    channel gave one; without a promise (or before delivery) an order is not late."""
    facts = order_facts(order_id, timeline, rules)
    reasons: list[str] = []
    for criterion, matches in (("incomplete", rules.incomplete), ("damaged", rules.damaged),
                               ("wrong_documents", rules.wrong_documents)):
        reasons += [f"{criterion}: {_why(e)}" for e in timeline if any_match(matches, e)]
    delivered = next((e for e in timeline if any_match(rules.delivered, e)), None)
    if promised_by is not None and delivered is not None and delivered.at > promised_by:
        late_h = (delivered.at - promised_by).total_seconds() / 3600
        reasons.append(f"late: delivered {late_h:.1f} h after the promise")
    return OrderVerdict(order_id, facts.received_at, facts.channel, facts.courier,
                        not reasons, tuple(reasons))


def verdicts(events: Events, promised: Mapping[str, datetime | None]
             | None = None, rules: Rules = DEFAULT_RULES) -> list[OrderVerdict]:
    """One verdict per order that reached a label (or the courier)."""
    promised = promised or {}
    out = []
    for order_id, timeline in sorted(by_order(events).items()):
        if any(any_match(COUNTED_FROM, e) or e.step >= Step.HANDED_OVER for e in timeline):
            out.append(judge(order_id, timeline, promised.get(order_id), rules))
    return out


def _criterion(reason: str) -> str:
    return reason.split(":", 1)[0]


def _group_key(verdict: OrderVerdict, by: str) -> str:
    if by in ("day", "week"):
        return period_key(verdict.received_at, by)
    if by == "channel":
        return verdict.channel
    if by == "courier":
        return verdict.courier
    raise ValueError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}")


def pop_table(judged: Iterable[OrderVerdict], by: str = "day") -> list[PopRow]:
    """POP per group; ``causes`` counts orders per failed criterion (an order failing two
    criteria counts under both)."""
    groups: dict[str, list[OrderVerdict]] = defaultdict(list)
    for verdict in judged:
        groups[_group_key(verdict, by)].append(verdict)
    rows = []
    for key in sorted(groups):
        members = groups[key]
        perfect = sum(v.perfect for v in members)
        causes: dict[str, int] = defaultdict(int)
        for verdict in members:
            for criterion in sorted({_criterion(r) for r in verdict.reasons}):
                causes[criterion] += 1
        rows.append(PopRow(key, len(members), perfect, 100.0 * perfect / len(members),
                           dict(sorted(causes.items()))))
    return rows


def overall(judged: list[OrderVerdict]) -> PopRow:
    rows = pop_table([OrderVerdict(v.order_id, v.received_at, "all", v.courier, v.perfect,
                                   v.reasons) for v in judged], by="channel")
    return rows[0] if rows else PopRow("all", 0, 0, 0.0, {})
