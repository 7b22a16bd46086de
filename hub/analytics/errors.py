"""Mistakes per step: what went wrong, how often, and what it cost in time.

An event is a mistake when it matches an entry of ``Rules.error_kinds`` or its outcome is not
``ok`` (nor a state such as ``payment_pending``). Its time cost is the wait from the order's
previous event to the next one: the time the order spent on account of it (a rescan, a
reweigh, a reprint).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from hub.analytics.rules import DEFAULT_RULES, Rules
from hub.analytics.timelines import Events, by_order
from hub.domain.timeline import STEP_TITLES, Step, TimelineEvent


@dataclass(frozen=True)
class Mistake:
    order_id: str
    step: Step
    kind: str
    actor: str
    cost_s: float
    event: TimelineEvent


@dataclass(frozen=True)
class ErrorRow:
    step: Step
    title: str
    kind: str
    count: int
    orders: int
    cost_s: float
    example_orders: tuple[str, ...]


def error_kind(event: TimelineEvent, rules: Rules = DEFAULT_RULES) -> str | None:
    name = event.name
    for match, kind in rules.error_kinds:
        if match.name == name and match(event):
            return kind
    if event.outcome not in rules.not_errors:
        return event.outcome
    return None


def mistakes(events: Events, rules: Rules = DEFAULT_RULES) -> list[Mistake]:
    found = []
    for timeline in by_order(events).values():
        for index, event in enumerate(timeline):
            kind = error_kind(event, rules)
            if kind is None:
                continue
            before = timeline[index - 1].at if index > 0 else event.at
            after = timeline[index + 1].at if index + 1 < len(timeline) else event.at
            cost = max(0.0, (after - before).total_seconds())
            found.append(Mistake(event.order_id, Step(event.step), kind, event.actor, cost,
                                 event))
    return found


def error_table(found: Iterable[Mistake], rank_by: str = "count",
                examples: int = 3) -> list[ErrorRow]:
    """Per step and kind, ranked by ``count`` or by ``cost`` (seconds), largest first."""
    if rank_by not in ("count", "cost"):
        raise ValueError(f"rank_by must be count or cost, not {rank_by!r}")
    groups: dict[tuple[Step, str], list[Mistake]] = defaultdict(list)
    for mistake in found:
        groups[(mistake.step, mistake.kind)].append(mistake)
    rows = []
    for (step, kind), members in groups.items():
        orders = list(dict.fromkeys(m.order_id for m in members))
        rows.append(ErrorRow(step, STEP_TITLES[step], kind, len(members), len(orders),
                             sum(m.cost_s for m in members), tuple(orders[:examples])))
    if rank_by == "count":
        rows.sort(key=lambda r: (-r.count, -r.cost_s, r.step, r.kind))
    else:
        rows.sort(key=lambda r: (-r.cost_s, -r.count, r.step, r.kind))
    return rows
