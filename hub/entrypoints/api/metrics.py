"""Prometheus ``/metrics``: process counters plus figures read from the database at scrape.

Step durations and errors by step come from the same timeline functions as /analytics, so a
scrape and the dashboard agree. (They read the whole timeline per scrape; fine for one site's
working set, a candidate for caching when the timeline grows large.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from hub.adapters.analytics_queries import timeline_events
from hub.analytics.errors import mistakes
from hub.analytics.timing import all_spans
from hub.bootstrap import Hub
from hub.domain.timeline import STEP_TITLES, Step

router = APIRouter(tags=["ops"])
BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _histogram(values: list[float]) -> tuple[list[tuple[str, float]], float]:
    buckets = [(str(bound), float(sum(v <= bound for v in values))) for bound in BUCKETS]
    return [*buckets, ("+Inf", float(len(values)))], sum(values)


class HubCollector(Collector):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        with self.hub.uow(read_only=True) as uow:
            by_status = uow.repo.count_orders_by_status()
            devices = uow.repo.devices()
            outbox = uow.repo.outbox_depth()
            events = timeline_events(uow.session)
        orders = GaugeMetricFamily("fulfil_orders", "Orders by state", labels=["state"])
        for state, count in sorted(by_status.items()):
            orders.add_metric([state], count)
        yield orders
        online = GaugeMetricFamily("fulfil_device_online", "1 when the device is online",
                                   labels=["device_id", "role", "zone"])
        peripheral = GaugeMetricFamily("fulfil_peripheral_ok", "1 when the peripheral is ok",
                                       labels=["device_id", "peripheral"])
        device_outbox = GaugeMetricFamily("fulfil_device_outbox_depth",
                                          "Events waiting in a device's outbox",
                                          labels=["device_id"])
        for row in devices:
            online.add_metric([row.device_id, row.role or "", row.zone or ""],
                              1 if row.state == "online" else 0)
            for name, state in sorted((row.peripherals or {}).items()):
                peripheral.add_metric([row.device_id, name], 1 if state == "ok" else 0)
            if row.outbox_depth is not None:
                device_outbox.add_metric([row.device_id], row.outbox_depth)
        yield online
        yield peripheral
        yield device_outbox
        yield GaugeMetricFamily("fulfil_outbox_depth", "Hub outbox rows not yet dispatched",
                                value=outbox)
        worker = self.hub.worker
        yield GaugeMetricFamily("fulfil_inbox_backlog", "Device messages waiting to be handled",
                                value=worker.backlog() if worker else 0)
        durations = HistogramMetricFamily(
            "fulfil_step_duration_seconds", "Time per order per step (queue + work), from "
            "the timeline", labels=["step", "title"])
        per_step: dict[Step, list[float]] = {}
        for span in all_spans(events):
            per_step.setdefault(span.step, []).append(span.total_s)
        for step, values in sorted(per_step.items()):
            buckets, total = _histogram(values)
            durations.add_metric([str(int(step)), STEP_TITLES[step]], buckets, total)
        yield durations
        errors = CounterMetricFamily("fulfil_step_errors", "Mistakes recorded per step and "
                                     "kind, from the timeline", labels=["step", "kind"])
        counts = Counter((int(m.step), m.kind) for m in mistakes(events))
        for (step_no, kind), count in sorted(counts.items()):
            errors.add_metric([str(step_no), kind], count)
        yield errors


def registry_for(hub: Hub) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(hub))
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format. Open like /health: figures only, no order data."""
    app = request.app
    if not hasattr(app.state, "metrics_registry"):
        app.state.metrics_registry = registry_for(app.state.hub)
    body = generate_latest(REGISTRY) + generate_latest(app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE)
