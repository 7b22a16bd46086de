"""Every order checked against the expected process (``Rules.expected``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from hub.analytics.rules import DEFAULT_RULES, Requirement, Rules, any_match
from hub.analytics.timelines import Events, by_order
from hub.domain.timeline import TimelineEvent


@dataclass(frozen=True)
class Skip:
    order_id: str
    code: str
    description: str
    event: TimelineEvent  # the event that should have had the missing step before it


@dataclass(frozen=True)
class SkipRow:
    code: str
    description: str
    orders: int
    example_orders: tuple[str, ...]


def check_order(timeline: list[TimelineEvent],
                expected: tuple[Requirement, ...] = DEFAULT_RULES.expected) -> list[Skip]:
    """The requirements one (time-ordered) order timeline breaks, once each."""
    found = []
    for rule in expected:
        for index, event in enumerate(timeline):
            if not any_match(rule.trigger, event):
                continue
            window = timeline if rule.anytime else timeline[:index]
            if not rule.needs or not any(any_match(rule.needs, e) for e in window):
                found.append(Skip(event.order_id, rule.code, rule.description, event))
                break
    return found


def skipped_steps(events: Events, rules: Rules = DEFAULT_RULES) -> list[Skip]:
    return [skip for _, timeline in sorted(by_order(events).items())
            for skip in check_order(timeline, rules.expected)]


def skip_table(found: Iterable[Skip], examples: int = 5,
               rules: Rules = DEFAULT_RULES) -> list[SkipRow]:
    """Every expected step with how many orders skipped it, most skipped first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for skip in found:
        groups[skip.code].append(skip.order_id)
    rows = [SkipRow(rule.code, rule.description, len(groups[rule.code]),
                    tuple(groups[rule.code][:examples])) for rule in rules.expected]
    return sorted(rows, key=lambda r: -r.orders)
