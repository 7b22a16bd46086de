"""Per-step durations derived from the order timeline (never kept anywhere else).

The time of an event is charged to its step: it is the wait since the order's previous
event. Steps with several events (one per item picked) add up.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from hub.domain.timeline import STEP_TITLES, Step, TimelineEvent


@dataclass(frozen=True)
class StepStats:
    step: Step
    title: str
    orders: int
    median_s: float
    p90_s: float
    max_s: float


def step_durations(events: Iterable[TimelineEvent]) -> dict[Step, list[float]]:
    """Seconds spent per step, one figure per order that went through it."""
    per_step: dict[Step, list[float]] = defaultdict(list)
    ordered = sorted(events, key=lambda e: (e.order_id, e.at, e.id or 0))
    for _order_id, group in groupby(ordered, key=lambda e: e.order_id):
        spent: dict[Step, float] = defaultdict(float)
        previous = None
        for event in group:
            if previous is not None:
                spent[Step(event.step)] += max(0.0, (event.at - previous.at).total_seconds())
            else:
                spent[Step(event.step)] += 0.0
            previous = event
        for step, seconds in spent.items():
            per_step[step].append(seconds)
    return per_step


def _quantile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def step_table(events: Iterable[TimelineEvent]) -> list[StepStats]:
    table = []
    for step, values in sorted(step_durations(events).items()):
        table.append(StepStats(step, STEP_TITLES[step], len(values), statistics.median(values),
                               _quantile(values, 0.9), max(values)))
    return table
