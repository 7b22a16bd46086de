"""Time per step: p50/p90/p99, queue time separated from work time, per actor and per period.

For one order and one step, the step's events span ``first``..``last``. The step became ready
when the order's previous event (of another step) happened. Queue time is ready → start of
work, work time is start → last event. Work starts at the first event that marks it
(``Rules.work_started``, e.g. a ``pick_started`` sent by the device) or, when the devices send
no such event, at the step's first event: then a one-event step is all queue, and work time is
the time between the step's first and last events (first item picked → last item picked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from hub.analytics.rules import DEFAULT_RULES, Rules, any_match
from hub.analytics.timelines import Events, by_order, percentile, period_key
from hub.domain.timeline import STEP_TITLES, SYSTEM, Step, TimelineEvent

GROUPINGS = ("step", "actor", "device")


@dataclass(frozen=True)
class StepSpan:
    order_id: str
    step: Step
    actor: str  # the first non-system actor at this step, else "system"
    started: TimelineEvent
    queue_s: float
    work_s: float

    @property
    def total_s(self) -> float:
        return self.queue_s + self.work_s


@dataclass(frozen=True)
class StepTiming:
    step: Step
    title: str
    group: str  # "all", an actor or a device
    orders: int
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    queue_p50_s: float
    work_p50_s: float
    total_s: float


def order_spans(timeline: list[TimelineEvent], rules: Rules = DEFAULT_RULES) -> list[StepSpan]:
    """One span per step the (time-ordered) timeline of one order went through."""
    positions: dict[int, list[int]] = defaultdict(list)
    for index, event in enumerate(timeline):
        positions[event.step].append(index)
    spans = []
    for step, indexes in sorted(positions.items()):
        first, last = timeline[indexes[0]], timeline[indexes[-1]]
        ready = timeline[indexes[0] - 1].at if indexes[0] > 0 else first.at
        start = next((timeline[i] for i in indexes if any_match(rules.work_started,
                                                                timeline[i])), first)
        actor = next((timeline[i].actor for i in indexes if timeline[i].actor != SYSTEM),
                     SYSTEM)
        spans.append(StepSpan(first.order_id, Step(step), actor, start,
                              max(0.0, (start.at - ready).total_seconds()),
                              max(0.0, (last.at - start.at).total_seconds())))
    return spans


def all_spans(events: Events, rules: Rules = DEFAULT_RULES) -> list[StepSpan]:
    return [span for timeline in by_order(events).values()
            for span in order_spans(timeline, rules)]


def _group(span: StepSpan, by: str) -> str:
    if by == "step":
        return "all"
    if by == "actor":
        return span.actor
    if by == "device":
        return span.actor.split("/", 1)[0]
    raise ValueError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}")


def timing_table(spans: Iterable[StepSpan], by: str = "step") -> list[StepTiming]:
    """Per step (and per actor or device with ``by``), ordered by step then group."""
    groups: dict[tuple[Step, str], list[StepSpan]] = defaultdict(list)
    for span in spans:
        groups[(span.step, _group(span, by))].append(span)
    rows = []
    for (step, group), members in sorted(groups.items()):
        totals = [s.total_s for s in members]
        rows.append(StepTiming(
            step, STEP_TITLES[step], group, len(members), percentile(totals, 50),
            percentile(totals, 90), percentile(totals, 99), max(totals),
            percentile([s.queue_s for s in members], 50),
            percentile([s.work_s for s in members], 50), sum(totals)))
    return rows


def slowest_steps(spans: Iterable[StepSpan], limit: int = 5) -> list[StepTiming]:
    """Steps ranked by p90 time, longest first."""
    return sorted(timing_table(spans), key=lambda row: -row.p90_s)[:limit]


@dataclass(frozen=True)
class TrendPoint:
    period: str
    step: Step
    orders: int
    p50_s: float
    p90_s: float


def step_trend(spans: Iterable[StepSpan], period: str = "day") -> list[TrendPoint]:
    """p50/p90 per step per day or ISO week (by when the step started)."""
    groups: dict[tuple[str, Step], list[float]] = defaultdict(list)
    for span in spans:
        groups[(period_key(span.started.at, period), span.step)].append(span.total_s)
    return [TrendPoint(key, step, len(values), percentile(values, 50), percentile(values, 90))
            for (key, step), values in sorted(groups.items())]
