"""Waves: what a stored wave is, how its trips reach the zone devices, and how it is read.

A wave (built by ``hub.service_layer.handlers.waves``) takes over the open pick tasks of
released orders: their picks, batched into cart trips per zone, each routed, each order given
a tote slot. Every trip goes to its zone device as ONE pick task in walking order whose picks
name their order and tote; pick tasks a device already held for those orders are cancelled
first. The device confirms the orders' own picks, so the wave's progress and state (open,
picking, done) are read from the picks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from edge.wire.messages import PickTask as PickTaskCommand
from hub.adapters import orm
from hub.adapters.bulk import insert_many
from hub.adapters.db import note_outbox_queued
from hub.adapters.orm_waves import wave_picks, wave_totes, wave_trips, waves
from hub.errors import NotFound
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import command_row
from hub.service_layer.unit_of_work import UnitOfWork

TRIP_COLOURS = ("green", "blue", "magenta", "cyan", "yellow", "white")


# --- sending trips to devices --------------------------------------------------------------

Device = tuple[str, str | None, set[str]]


def online_zone_devices(uow: UnitOfWork) -> list[Device]:
    return [(row.device_id, row.zone, set(row.locations or []))
            for row in uow.repo.online_devices("pick_zone")]


def waved_task_ids(session: Session, task_ids: Sequence[str]) -> set[str]:
    if not task_ids:
        return set()
    return set(session.scalars(select(wave_picks.c.task_id).distinct()
                               .where(wave_picks.c.task_id.in_(task_ids))))


def assign_trips(uow: UnitOfWork, ctx: HubContext, devices: list[Device]) -> int:
    """Send every unsent trip to a device that covers all its locations (else its zone's
    device without a location list), as one pick task in walking order."""
    if not devices:
        return 0
    wp, p, tr = wave_picks.c, orm.picks.c, wave_trips.c
    rows = uow.session.execute(
        select(tr.id.label("trip_id"), tr.zone, tr.seq.label("trip_seq"), wp.pick_id,
               wp.task_id, wp.order_id, wp.tote, p.sku, p.location, p.qty,
               orm.skus.c.barcode)
        .join(wave_picks, wp.trip_id == tr.id).join(orm.picks, p.id == wp.pick_id)
        .join(orm.skus, orm.skus.c.sku == p.sku)
        .where(tr.device_id.is_(None)).order_by(tr.wave_id, tr.seq, wp.seq)).all()
    trips: dict[str, list[Row[Any]]] = {}
    for row in rows:
        trips.setdefault(row.trip_id, []).append(row)
    now = ctx.now()
    sent_trips: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for trip_id, picks in trips.items():
        wanted = {row.location for row in picks}
        zone = picks[0].zone
        device = next((d for d, _, locs in devices if wanted <= locs), None) or next(
            (d for d, z, locs in devices if z == zone and not locs), None)
        if device is None:
            continue
        outbox.append(command_row(
            ctx, device, PickTaskCommand, order_id=picks[0].order_id,
            command_id=f"cmd_{trip_id}", task_id=trip_id,
            colour=TRIP_COLOURS[picks[0].trip_seq % len(TRIP_COLOURS)],
            picks=[{"pick_id": r.pick_id, "location": r.location, "sku": r.sku,
                    "barcode": r.barcode, "qty": r.qty, "order_id": r.order_id,
                    "tote": r.tote} for r in picks]))  # PickLine, validated once
        sent_trips.append({"trip": trip_id, "device": device})
    if outbox:
        note_outbox_queued(uow.session)
        insert_many(uow.session, orm.outbox, [
            {k: v for k, v in row.items() if k != "command_id"} for row in outbox])
    if sent_trips:  # one statement each, many parameter sets
        uow.session.execute(update(wave_trips).where(tr.id == bindparam("trip"))
                            .values(device_id=bindparam("device"), sent_at=now), sent_trips)
        # the orders' own tasks are held by their trip's device (set-based, one statement)
        t, wp = orm.pick_tasks.c, wave_picks.c
        trip_device = (select(tr.device_id).join(wave_picks, wp.trip_id == tr.id)
                       .where(wp.task_id == t.id).limit(1).scalar_subquery())
        on_sent = select(wp.task_id).where(wp.trip_id.in_([r["trip"] for r in sent_trips]))
        uow.session.execute(update(orm.pick_tasks).where(t.id.in_(on_sent))
                            .values(device_id=trip_device))
    sent = len(sent_trips)
    return sent


# --- device events -------------------------------------------------------------------------

def task_of_trip_pick(session: Session, trip_id: str, pick_id: str) -> str | None:
    """The order's own task id of ``pick_id`` when it is on trip ``trip_id``."""
    return session.scalar(select(wave_picks.c.task_id).where(
        wave_picks.c.pick_id == pick_id, wave_picks.c.trip_id == trip_id))


def trip_orders(session: Session, trip_id: str) -> list[str]:
    return list(session.scalars(select(wave_totes.c.order_id).where(
        wave_totes.c.trip_id == trip_id).order_by(wave_totes.c.slot)))


def after_pick(session: Session, pick_id: str, now: datetime) -> None:
    """Move the wave holding ``pick_id`` to picking or done as its picks are confirmed."""
    wave_id = session.scalar(select(wave_picks.c.wave_id).where(wave_picks.c.pick_id == pick_id))
    if wave_id is not None:
        wave_progress(session, wave_id, now)


def wave_progress(session: Session, wave_id: str, now: datetime) -> None:
    """The wave is picking once any pick of it is confirmed, done once all are."""
    session.flush()
    total, confirmed = session.execute(
        select(func.count(), func.coalesce(func.sum(case((orm.picks.c.status != "open", 1),
                                                         else_=0)), 0))
        .select_from(wave_picks).join(orm.picks, orm.picks.c.id == wave_picks.c.pick_id)
        .where(wave_picks.c.wave_id == wave_id)).one()
    state = "done" if confirmed >= total else "picking"
    values: dict[str, Any] = {"state": state}
    if state == "done":
        values["done_at"] = now
    session.execute(update(waves).where(waves.c.id == wave_id, waves.c.state != state)
                    .values(**values))
    session.execute(update(waves).where(waves.c.id == wave_id, waves.c.started_at.is_(None))
                    .values(started_at=now))


# --- reading -------------------------------------------------------------------------------

def _progress(session: Session, wave_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per wave, per zone: trips (done), picks (confirmed), units picked / short / wanted."""
    if not wave_ids:
        return {}
    wp, p, tr = wave_picks.c, orm.picks.c, wave_trips.c
    confirmed = case((p.status != "open", 1), else_=0)
    per_trip = session.execute(
        select(tr.wave_id, tr.zone, tr.id, func.count(), func.sum(confirmed), func.sum(p.qty),
               func.sum(p.qty_picked), func.sum(p.qty_short))
        .join(wave_picks, wp.trip_id == tr.id).join(orm.picks, p.id == wp.pick_id)
        .where(tr.wave_id.in_(wave_ids)).group_by(tr.wave_id, tr.zone, tr.id)).all()
    zones: dict[tuple[str, str], dict[str, int]] = {}
    for wave_id, zone, _, picks, done, units, picked, short in per_trip:
        z = zones.setdefault((wave_id, zone), dict.fromkeys(
            ("trips", "trips_done", "picks", "picks_confirmed", "units", "picked", "short"), 0))
        z["trips"] += 1
        z["trips_done"] += int(done) == int(picks)
        z["picks"] += int(picks)
        z["picks_confirmed"] += int(done)
        z["units"] += int(units)
        z["picked"] += int(picked)
        z["short"] += int(short)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (wave_id, zone), figures in sorted(zones.items()):
        out[wave_id].append({"zone": zone, **figures})
    return out


def _summary(row: Row[Any], zones: list[dict[str, Any]]) -> dict[str, Any]:
    confirmed = sum(z["picks_confirmed"] for z in zones)
    return {"id": row.id, "state": row.state, "zone": row.zone, "totes": row.totes,
            "units_per_trip": row.units_per_trip, "orders": row.orders, "picks": row.picks,
            "units": row.units, "total_m": row.total_m, "created_at": row.created_at,
            "started_at": row.started_at, "done_at": row.done_at,
            "trips": sum(z["trips"] for z in zones), "picks_confirmed": confirmed,
            "progress": confirmed / row.picks if row.picks else 1.0, "zones": zones}


def list_waves(session: Session, states: Sequence[str] = (), limit: int = 50
               ) -> list[dict[str, Any]]:
    """Waves newest first, each with its progress per zone."""
    stmt = select(waves).order_by(waves.c.created_at.desc(), waves.c.id).limit(limit)
    if states:
        stmt = stmt.where(waves.c.state.in_(states))
    rows = session.execute(stmt).all()
    progress = _progress(session, [r.id for r in rows])
    return [_summary(row, progress.get(row.id, [])) for row in rows]


def get_wave(session: Session, wave_id: str) -> dict[str, Any]:
    """One wave with its trips: tote slots and the picks in walking order."""
    row = session.execute(select(waves).where(waves.c.id == wave_id)).first()
    if row is None:
        raise NotFound(f"wave {wave_id!r} not found")
    wave = _summary(row, _progress(session, [wave_id]).get(wave_id, []))
    wp, p, tr = wave_picks.c, orm.picks.c, wave_trips.c
    totes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for trip_id, order_id, slot in session.execute(
            select(wave_totes.c.trip_id, wave_totes.c.order_id, wave_totes.c.slot)
            .where(wave_totes.c.wave_id == wave_id).order_by(wave_totes.c.slot)):
        totes[trip_id].append({"slot": slot, "order_id": order_id})
    stops: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in session.execute(
            select(wp.trip_id, wp.seq, wp.pick_id, wp.order_id, wp.tote, wp.cumulative_m,
                   p.sku, p.location, p.qty, p.qty_picked, p.qty_short, p.status)
            .join(orm.picks, p.id == wp.pick_id).where(wp.wave_id == wave_id)
            .order_by(wp.trip_id, wp.seq)):
        stops[r.trip_id].append({
            "seq": r.seq, "pick_id": r.pick_id, "order_id": r.order_id, "tote": r.tote,
            "location": r.location, "sku": r.sku, "qty": r.qty, "qty_picked": r.qty_picked,
            "qty_short": r.qty_short, "status": r.status, "cumulative_m": r.cumulative_m})
    wave["trip_list"] = [
        {"id": t.id, "seq": t.seq, "zone": t.zone, "total_m": t.total_m, "method": t.method,
         "device_id": t.device_id, "sent_at": t.sent_at, "totes": totes[t.id],
         "stops": stops[t.id]}
        for t in session.execute(select(wave_trips).where(tr.wave_id == wave_id)
                                 .order_by(tr.seq))]
    return wave


def current_waves(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """Waves still open or being picked (the floor view), plainly serialisable."""
    out = []
    for wave in list_waves(session, ("open", "picking"), limit):
        out.append({**wave, **{k: wave[k].isoformat() if wave[k] else None
                               for k in ("created_at", "started_at", "done_at")}})
    return out

