"""Build a wave: released orders' open pick tasks batched into cart trips per zone, each
trip routed, each order given a tote slot; stored and sent in one transaction (see
``hub.service_layer.waves`` for what a wave is, how trips reach devices and how it is read).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edge.wire.messages import CancelTask
from hub.adapters import orm
from hub.adapters.bulk import insert_many
from hub.adapters.orm_waves import wave_picks, wave_totes, wave_trips, waves
from hub.domain.commands import Command
from hub.domain.model import OrderStatus
from hub.errors import Conflict, InvalidInput, NotFound
from hub.routing.batching import OrderPicks, plan_zone_trips
from hub.routing.distance import AisleGraph
from hub.routing.layout import Layout
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import send_command
from hub.service_layer.unit_of_work import UnitOfWork
from hub.service_layer.warehouse_layout import current_layout
from hub.service_layer.waves import assign_trips, online_zone_devices

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
    wanted = [o for o in found.picks if o not in found.busy]
    if not cmd.order_ids:  # the oldest first, up to max_orders; named orders all go
        wanted = wanted[: cmd.max_orders]
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
        insert_many(uow.session, waves, [{
            "id": wave_id, "state": "open", "zone": cmd.zone, "totes": cmd.totes,
            "units_per_trip": cmd.units_per_trip, "orders": len(wanted), "picks": len(pick_rows),
            "units": sum(p.qty for order_id in wanted for p in found.picks[order_id]),
            "total_m": sum(row["total_m"] for row in trip_rows), "created_at": now}])
        insert_many(uow.session, wave_trips, trip_rows)
        insert_many(uow.session, wave_totes, tote_rows)
        insert_many(uow.session, wave_picks, pick_rows)
        _take_back(uow, ctx, {t for r in pick_rows if (t := r["task_id"]) in found.sent}, found)
        assign_trips(uow, ctx, online_zone_devices(uow))
        uow.commit()
    except IntegrityError:
        raise Conflict("another wave took some of these orders at the same time; "
                       "build again") from None
    return wave_id


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
