"""Everything the manager view shows, computed once from one read of the timeline.

The API, the dashboard and the demo summary all use ``build_report`` so they show the same
numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from hub.analytics.errors import ErrorRow, error_table, mistakes
from hub.analytics.pop import OrderVerdict, PopRow, overall, pop_table, verdicts
from hub.analytics.rules import DEFAULT_RULES, Rules
from hub.analytics.skipped import SkipRow, skip_table, skipped_steps
from hub.analytics.timelines import Events, by_order
from hub.analytics.timing import StepTiming, all_spans, timing_table
from hub.domain.timeline import TimelineEvent


@dataclass(frozen=True)
class Report:
    pop: PopRow
    pop_by_channel: list[PopRow]
    imperfect: list[OrderVerdict]
    steps: list[StepTiming]
    errors: list[ErrorRow]
    skipped: list[SkipRow]


def build_report(events: Events,
                 promised: Mapping[str, datetime | None] | None = None,
                 rules: Rules = DEFAULT_RULES) -> Report:
    events = by_order(events)  # grouped once for every figure
    judged = verdicts(events, promised, rules)
    return Report(overall(judged), pop_table(judged, "channel"),
                  [v for v in judged if not v.perfect], timing_table(all_spans(events, rules)),
                  error_table(mistakes(events, rules)),
                  skip_table(skipped_steps(events, rules), rules=rules))


def plain(value: Any) -> Any:
    """A dataclass (or list of them) as JSON-ready dicts; steps as numbers, times as ISO."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, TimelineEvent):
        return {"name": value.name, "at": value.at.isoformat(), "actor": value.actor,
                "outcome": value.outcome}
    if isinstance(value, IntEnum):
        return int(value)
    return value
