"""How long the manager report takes over synthetic timelines, against a baseline measured in
the same run: the older single-figure step table (hub/analytics/step_times.py) on the same
events. Prints one line per size.

    python bench/analytics_report.py [orders ...]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from hub.analytics.report import build_report
from hub.analytics.step_times import step_table
from hub.domain.timeline import Step, TimelineEvent

NAMES = [(Step.ORDER_RECEIVED, "order_received"), (Step.PAYMENT, "payment_confirmed"),
         (Step.RECORDED, "order_recorded"), (Step.CUSTOMER_CONFIRMED, "customer_notified"),
         (Step.RELEASED, "order_released"), (Step.PICKED, "item_picked"),
         (Step.PICKED, "item_picked"), (Step.PICKED, "order_picked"),
         (Step.STOCK_UPDATED, "stock_updated"), (Step.PACKED, "pack_verified"),
         (Step.SHIPPING_BOOKED, "shipping_booked"), (Step.TRACKING_RECORDED, "tracking_recorded"),
         (Step.LABEL_PRINTED, "label_printed"), (Step.PACKED, "order_packed")]


def synthetic(orders: int, rng: random.Random) -> list[TimelineEvent]:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = []
    for n in range(orders):
        at = start + timedelta(minutes=n)
        for step, name in NAMES:
            at += timedelta(seconds=rng.expovariate(1 / 20))
            outcome = "wrong_item" if name == "item_picked" and rng.random() < 0.02 else "ok"
            actor = f"channel:shop{n % 3}" if name == "order_received" else f"zone-{n % 4}"
            events.append(TimelineEvent(f"o{n}", step, name, at, actor, outcome))
    return events


def timed(fn, events):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn(events)
    return time.perf_counter() - started


def main(sizes: list[int]) -> None:
    rng = random.Random(1)
    for orders in sizes:
        events = synthetic(orders, rng)
        baseline = min(timed(step_table, events) for _ in range(3))
        report = min(timed(build_report, events) for _ in range(3))
        print(f"{orders:>7} orders {len(events):>8} events: report {report * 1000:8.1f} ms, "
              f"baseline step table {baseline * 1000:8.1f} ms, ratio {report / baseline:5.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000])
