"""Read-side queries for analytics, metrics and the dashboard (no writes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.adapters import orm
from hub.domain.timeline import TimelineEvent


def timeline_events(session: Session, since: datetime | None = None,
                    until: datetime | None = None) -> list[TimelineEvent]:
    """The timelines of the orders received in [since, until)."""
    t, o = orm.timeline_events.c, orm.orders.c
    stmt = select(TimelineEvent).order_by(t.order_id, t.id)
    if since is not None or until is not None:
        orders = select(o.id)
        if since is not None:
            orders = orders.where(o.created_at >= since)
        if until is not None:
            orders = orders.where(o.created_at < until)
        stmt = stmt.where(t.order_id.in_(orders))
    return list(session.scalars(stmt).all())


def promises(session: Session) -> dict[str, datetime | None]:
    o = orm.orders.c
    rows = session.execute(select(o.id, o.promised_by).where(o.promised_by.is_not(None)))
    return {order_id: promised for order_id, promised in rows}


def pick_progress(session: Session) -> list[dict[str, Any]]:
    """Per zone: open tasks, and units picked / short / wanted in them."""
    t, p = orm.pick_tasks.c, orm.picks.c
    rows = session.execute(
        select(t.zone, func.count(func.distinct(t.id)), func.coalesce(func.sum(p.qty), 0),
               func.coalesce(func.sum(p.qty_picked), 0), func.coalesce(func.sum(p.qty_short), 0))
        .join(orm.picks, p.task_id == t.id).where(t.status == "open").group_by(t.zone)
        .order_by(t.zone)).all()
    return [{"zone": zone, "open_tasks": int(tasks), "units": int(units),
             "picked": int(picked), "short": int(short)}
            for zone, tasks, units, picked, short in rows]


def bench_queues(session: Session) -> dict[str, int]:
    """Orders waiting at (or being packed on) each pack bench: picked, not yet labelled."""
    o = orm.orders.c
    rows = session.execute(select(o.pack_device_id, func.count()).where(
        o.status.in_(["picked", "packed"])).group_by(o.pack_device_id))
    queues: dict[str, int] = defaultdict(int)
    for device_id, count in rows:
        queues[device_id or "unassigned"] += int(count)
    return dict(queues)


def timeline_version(session: Session) -> tuple[int, int]:
    """Changes whenever an event is added (the timeline is append-only): (max id, count)."""
    t = orm.timeline_events.c
    top, count = session.execute(select(func.coalesce(func.max(t.id), 0), func.count())).one()
    return int(top), int(count)
