"""Step durations derived from a constructed timeline with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.analytics.step_times import step_durations, step_table
from hub.domain.timeline import Step, TimelineEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(order_id: str, step: Step, seconds: float) -> TimelineEvent:
    return TimelineEvent(order_id, step, step.name.lower(), T0 + timedelta(seconds=seconds))


def test_each_event_is_charged_with_the_wait_since_the_previous_one() -> None:
    events = [
        event("a", Step.ORDER_RECEIVED, 0), event("a", Step.RELEASED, 10),
        event("a", Step.PICKED, 25), event("a", Step.PICKED, 40),  # two items: 15 + 15
        event("a", Step.PACKED, 100),
        event("b", Step.ORDER_RECEIVED, 5), event("b", Step.RELEASED, 35),
        event("b", Step.PICKED, 45),
    ]
    durations = step_durations(events)
    assert durations[Step.RELEASED] == [10.0, 30.0]
    assert durations[Step.PICKED] == [30.0, 10.0]
    assert durations[Step.PACKED] == [60.0]
    table = {row.step: row for row in step_table(events)}
    assert table[Step.RELEASED].median_s == 20.0
    assert table[Step.RELEASED].max_s == 30.0
    assert table[Step.PACKED].orders == 1
