"""Waves: released orders batched into picker trips, stored, and sent to the zone devices.

Building a wave takes over the open pick tasks of released orders (per order and zone, cut at
release): their picks are batched into cart trips per zone (``hub.routing.batching``), each
trip routed, each order given a tote slot. The wave, its trips, tote slots and each trip's
picks in walking order are stored; every trip goes to its zone device as ONE pick task in
walking order whose picks name their order and tote. Pick tasks a device already held for
those orders are cancelled first. The device confirms the orders' own picks, so the wave's
progress and state (open, picking, done) are read from the picks.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edge.wire.messages import CancelTask
from edge.wire.messages import PickTask as PickTaskCommand
from hub.adapters import orm
from hub.adapters.orm_waves import wave_picks, wave_totes, wave_trips, waves
from hub.domain.commands import Command
from hub.domain.model import OrderStatus
from hub.errors import Conflict, InvalidInput, NotFound
from hub.routing.batching import OrderPicks, plan_zone_trips
from hub.routing.distance import AisleGraph
from hub.routing.layout import Layout
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import command_row, send_command
from hub.service_layer.unit_of_work import UnitOfWork
from hub.service_layer.warehouse_layout import current_layout

TRIP_COLOURS = ("green", "blue", "magenta", "cyan", "yellow", "white")
MAX_ORDERS = 10_000


@dataclass(frozen=True)
class BuildWave(Command):
    """Wave released orders: ``order_ids``, or else the oldest released orders not yet in a
    wave (at most ``max_orders``); only the picks of ``zone`` when one is named."""

    totes: int
    order_ids: tuple[str, ...] = ()
    zone: str | None = None
    units_per_trip: int | None = None
    max_orders: int = 500
    actor: str = "api"


@dataclass
class _Pick:
    id: str
    task_id: str
    order_id: str
    zone: str
    location: str
    qty: int


@dataclass
class _Candidates:
    """Open pick tasks of released orders not in a wave, grouped by order (oldest first)."""

    picks: dict[str, list[_Pick]] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)  # task id -> device holding it
    busy: set[str] = field(default_factory=set)  # orders with a pick already confirmed


# --- building ------------------------------------------------------------------------------

def build_wave(cmd: BuildWave, uow: UnitOfWork, ctx: HubContext) -> str:
    """Plan, store and send a wave; returns its id. All or nothing."""
    _check_sizes(cmd)
    layout = current_layout(ctx.settings)
    if layout is None:
        raise NotFound("no warehouse layout is configured (FULFIL_LAYOUT_PATH): waves need one")
    if cmd.zone is not None:
        _check_zone(uow.session, layout, cmd.zone)
    found = _candidates(uow.session, list(dict.fromkeys(cmd.order_ids)), cmd.zone)
    if cmd.order_ids:
        _check_orders(uow.session, list(dict.fromkeys(cmd.order_ids)), found, cmd.zone)
    wanted = [o for o in found.picks if o not in found.busy][: cmd.max_orders]
    if not wanted:
        where = f" with picks in zone {cmd.zone}" if cmd.zone else ""
        raise Conflict(f"no released orders{where} are waiting for a wave")
    by_zone: dict[str, list[OrderPicks]] = defaultdict(list)
    picks_of: dict[tuple[str, str], list[_Pick]] = defaultdict(list)
    for order_id in wanted:
        for pick in found.picks[order_id]:
            picks_of[(pick.zone, order_id)].append(pick)
    for (zone, order_id), picks in picks_of.items():
        by_zone[zone].append(OrderPicks(order_id, [p.location for p in picks],
                                        sum(p.qty for p in picks)))
    now = ctx.now()
    wave_id = f"wav_{uuid.uuid4().hex[:20]}"
    graph = None if layout.rectangular else AisleGraph(layout)
    trip_rows: list[dict[str, Any]] = []
    tote_rows: list[dict[str, Any]] = []
    pick_rows: list[dict[str, Any]] = []
    for zone in sorted(by_zone):
        for trip in plan_zone_trips(layout, zone, by_zone[zone], cmd.totes, cmd.units_per_trip,
                                    graph):
            trip_id = f"trp_{uuid.uuid4().hex[:20]}"
            trip_rows.append({"id": trip_id, "wave_id": wave_id, "seq": len(trip_rows) + 1,
                              "zone": zone, "total_m": trip.route.total_m,
                              "method": trip.route.method})
            tote_rows += [{"trip_id": trip_id, "order_id": order_id, "wave_id": wave_id,
                           "slot": slot} for order_id, slot in trip.tote_of.items()]
            flat = [p for order_id in trip.tote_of for p in picks_of[(zone, order_id)]]
            pick_rows += [{"pick_id": flat[stop.index].id, "wave_id": wave_id,
                           "trip_id": trip_id, "task_id": flat[stop.index].task_id,
                           "order_id": flat[stop.index].order_id, "seq": seq,
                           "tote": trip.tote_of[flat[stop.index].order_id],
                           "cumulative_m": stop.cumulative_m}
                          for seq, stop in enumerate(trip.route.stops)]
    try:  # wave_picks.pick_id is the key: two waves racing for a pick cannot both win
        _insert_many(uow.session, waves, [{
            "id": wave_id, "state": "open", "zone": cmd.zone, "totes": cmd.totes,
            "units_per_trip": cmd.units_per_trip, "orders": len(wanted), "picks": len(pick_rows),
            "units": sum(p.qty for order_id in wanted for p in found.picks[order_id]),
            "total_m": sum(row["total_m"] for row in trip_rows), "created_at": now}])
        _insert_many(uow.session, wave_trips, trip_rows)
        _insert_many(uow.session, wave_totes, tote_rows)
        _insert_many(uow.session, wave_picks, pick_rows)
        _take_back(uow, ctx, {t for r in pick_rows if (t := r["task_id"]) in found.sent}, found)
        assign_trips(uow, ctx, _online_zone_devices(uow))
        uow.commit()
    except IntegrityError:
        raise Conflict("another wave took some of these orders at the same time; "
                       "build again") from None
    return wave_id


def _insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One statement, many parameter sets (executemany; pipelined by psycopg)."""
    if rows:
        session.execute(insert(table), rows)


def _check_sizes(cmd: BuildWave) -> None:
    if cmd.totes < 1:
        raise InvalidInput(f"totes must be at least 1 (tote slots on a cart), got {cmd.totes}")
    if cmd.units_per_trip is not None and cmd.units_per_trip < 1:
        raise InvalidInput(f"units_per_trip must be at least 1, got {cmd.units_per_trip}")
    if not 1 <= cmd.max_orders <= MAX_ORDERS:
        raise InvalidInput(f"max_orders must be 1..{MAX_ORDERS}, got {cmd.max_orders}")


def known_zones(session: Session, layout: Layout | None) -> set[str]:
    zones = set(session.scalars(select(orm.locations.c.zone).distinct()))
    return zones | set(layout.config.zones if layout else {})


def _check_zone(session: Session, layout: Layout, zone: str) -> None:
    zones = known_zones(session, layout)
    if zone not in zones:
        raise InvalidInput(f"zone {zone!r} is not a pick zone; zones are "
                           f"{', '.join(sorted(zones)) or 'none yet'}")


def _candidates(session: Session, order_ids: list[str], zone: str | None) -> _Candidates:
    t, p, o = orm.pick_tasks.c, orm.picks.c, orm.orders.c
    stmt = (select(t.id, t.order_id, t.zone, t.device_id, p.id.label("pick_id"), p.location,
                   p.qty, p.status)
            .join(orm.orders, o.id == t.order_id).join(orm.picks, p.task_id == t.id)
            .where(o.status == OrderStatus.RELEASED.value, t.status == "open",
                   ~select(wave_picks.c.task_id).where(wave_picks.c.task_id == t.id)
                   .exists())
            .order_by(o.created_at, o.id, t.zone, p.seq))
    if zone is not None:
        stmt = stmt.where(t.zone == zone)
    if order_ids:
        stmt = stmt.where(t.order_id.in_(order_ids))
    found = _Candidates()
    for row in session.execute(stmt):
        found.picks.setdefault(row.order_id, []).append(
            _Pick(row.pick_id, row.id, row.order_id, row.zone, row.location, row.qty))
        if row.status != "open":
            found.busy.add(row.order_id)
        if row.device_id is not None:
            found.sent[row.id] = row.device_id
    return found


def _check_orders(session: Session, order_ids: list[str], found: _Candidates,
                  zone: str | None) -> None:
    """Each named order must be released with picks left to wave: else a 4xx naming it."""
    o = orm.orders.c
    status = dict(session.execute(select(o.id, o.status).where(o.id.in_(order_ids))).all())
    unknown = [i for i in order_ids if i not in status]
    if unknown:
        raise NotFound(f"order(s) not found: {', '.join(unknown[:10])}")
    for order_id in order_ids:
        if status[order_id] != OrderStatus.RELEASED.value:
            raise Conflict(f"order {order_id} is {status[order_id]}: only released orders "
                           "can be waved")
        if order_id in found.busy:
            raise Conflict(f"order {order_id} is already being picked")
        if order_id not in found.picks:
            where = f" in zone {zone}" if zone else ""
            raise Conflict(f"order {order_id} has no open picks{where} outside a wave")


def _take_back(uow: UnitOfWork, ctx: HubContext, task_ids: set[str],
               found: _Candidates) -> None:
    """Cancel the per-order tasks devices already hold: the wave's trips replace them."""
    for task_id in sorted(task_ids):
        send_command(uow, ctx, found.sent[task_id], CancelTask, command_id=f"cancel_{task_id}",
                     task_id=task_id)
    if task_ids:
        uow.session.execute(update(orm.pick_tasks).where(orm.pick_tasks.c.id.in_(task_ids))
                            .values(device_id=None))


# --- sending trips to devices --------------------------------------------------------------

Device = tuple[str, str | None, set[str]]


def _online_zone_devices(uow: UnitOfWork) -> list[Device]:
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
    sent_tasks: dict[str, str] = {}
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
        sent_tasks.update((r.task_id, device) for r in picks)
    if outbox:
        _insert_many(uow.session, orm.outbox, [
            {k: v for k, v in row.items() if k != "command_id"} for row in outbox])
    if sent_trips:  # one statement each, many parameter sets
        uow.session.execute(update(wave_trips).where(tr.id == bindparam("trip"))
                            .values(device_id=bindparam("device"), sent_at=now), sent_trips)
        t = orm.pick_tasks.c
        uow.session.execute(update(orm.pick_tasks).where(t.id == bindparam("task"))
                            .values(device_id=bindparam("device")),
                            [{"task": k, "device": v} for k, v in sent_tasks.items()])
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
    if wave_id is None:
        return
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

