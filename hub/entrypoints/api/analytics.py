"""Analytics over the order timeline (ops scope): POP, step timing, errors, skipped steps.

Every route answers JSON, or CSV with ``?format=csv`` (one row per table row; nested values
flattened as ``key=value;...``). ``since``/``until`` limit the orders by when they arrived.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from hub.adapters.analytics_queries import promises, timeline_events
from hub.analytics.errors import error_table, mistakes
from hub.analytics.pop import pop_table, verdicts
from hub.analytics.report import build_report, plain
from hub.analytics.skipped import skip_table, skipped_steps
from hub.analytics.timing import all_spans, step_trend, timing_table
from hub.domain.timeline import TimelineEvent
from hub.entrypoints.api.deps import Ops, UowDep
from hub.errors import InvalidInput
from hub.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/analytics", tags=["analytics"])

Format = Annotated[Literal["json", "csv"], Query(description="json, or csv for a download")]
Since = Annotated[datetime | None, Query(description="orders received at or after (ISO 8601)")]
Until = Annotated[datetime | None, Query(description="orders received before (ISO 8601)")]


def _events(uow: UnitOfWork, since: datetime | None,
            until: datetime | None) -> list[TimelineEvent]:
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since must be before until")
    return timeline_events(uow.session, since, until)


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return ";".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ";".join(str(_cell(v)) for v in value)
    return value


def to_csv(rows: Sequence[dict[str, Any]], name: str) -> Response:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def answer(rows: Sequence[Any], fmt: str, name: str) -> Any:
    data = plain(list(rows))
    return to_csv(data, name) if fmt == "csv" else data


@router.get("/pop")
def pop(uow: UowDep, _: Ops, by: Literal["day", "week", "channel", "courier"] = "day",
        format: Format = "json", since: Since = None, until: Until = None) -> Any:
    """Perfect Order Percentage per group, with how many orders failed each criterion."""
    judged = verdicts(_events(uow, since, until), promises(uow.session))
    return answer(pop_table(judged, by), format, f"pop-by-{by}")


@router.get("/pop/orders")
def pop_orders(uow: UowDep, _: Ops, imperfect_only: bool = True, format: Format = "json",
               since: Since = None, until: Until = None) -> Any:
    """Each counted order with whether it was perfect and, if not, why."""
    judged = verdicts(_events(uow, since, until), promises(uow.session))
    return answer([v for v in judged if not (imperfect_only and v.perfect)], format,
                  "pop-orders")


@router.get("/steps")
def steps(uow: UowDep, _: Ops, by: Literal["step", "actor", "device"] = "step",
          format: Format = "json", since: Since = None, until: Until = None) -> Any:
    """p50/p90/p99 seconds per step (and per actor or device), queue and work p50 apart."""
    return answer(timing_table(all_spans(_events(uow, since, until)), by), format,
                  f"steps-by-{by}")


@router.get("/steps/trend")
def steps_trend(uow: UowDep, _: Ops, period: Literal["day", "week"] = "day",
                format: Format = "json", since: Since = None, until: Until = None) -> Any:
    return answer(step_trend(all_spans(_events(uow, since, until)), period), format,
                  f"steps-trend-{period}")


@router.get("/errors")
def errors(uow: UowDep, _: Ops, rank_by: Literal["count", "cost"] = "count",
           format: Format = "json", since: Since = None, until: Until = None) -> Any:
    """Mistakes per step and kind, ranked by count or by time cost (seconds)."""
    return answer(error_table(mistakes(_events(uow, since, until)), rank_by), format,
                  f"errors-by-{rank_by}")


@router.get("/skipped")
def skipped(uow: UowDep, _: Ops, format: Format = "json", since: Since = None,
            until: Until = None) -> Any:
    """Each expected step with the number of orders that skipped it, and examples."""
    return answer(skip_table(skipped_steps(_events(uow, since, until))), format, "skipped")


@router.get("/skipped/orders")
def skipped_orders(uow: UowDep, _: Ops, format: Format = "json", since: Since = None,
                   until: Until = None) -> Any:
    found = skipped_steps(_events(uow, since, until))
    rows = [{"order_id": s.order_id, "code": s.code, "description": s.description,
             "at_event": s.event.name, "at": s.event.at} for s in found]
    return answer(rows, format, "skipped-orders")


@router.get("/report")
def report(uow: UowDep, _: Ops, since: Since = None, until: Until = None) -> Any:
    """Everything the manager dashboard shows, in one answer."""
    return plain(build_report(_events(uow, since, until), promises(uow.session)))
