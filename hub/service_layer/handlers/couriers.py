"""Courier commands: end-of-day manifest, scan-out at the dock, tracking events, reprint."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog
from sqlalchemy import select, update

from hub import errors
from hub.adapters.couriers.base import Booking, Courier, CourierUnsupported, TrackingUpdate
from hub.adapters.orm import shipments
from hub.adapters.orm_couriers import courier_manifests as manifests
from hub.domain.commands import Command
from hub.domain.handover import ScanCheck, check_scan_out, normalise
from hub.domain.timeline import Step
from hub.domain.tracking_status import TrackingStatus
from hub.service_layer.bench_labels import send_print_label
from hub.service_layer.context import HubContext
from hub.service_layer.customer_messages import queue_message
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

MESSAGE_OF_STATUS = {TrackingStatus.OUT_FOR_DELIVERY: "out_for_delivery",
                     TrackingStatus.DELIVERED: "delivered", TrackingStatus.EXCEPTION: "delay"}


@dataclass(frozen=True)
class CloseDay(Command):
    courier: str
    day: date | None = None


@dataclass(frozen=True)
class ScanOut(Command):
    manifest_id: str
    barcode: str


@dataclass(frozen=True)
class Dispatch(Command):
    """The driver leaves: allowed when every parcel is scanned and none is extra (or forced)."""

    manifest_id: str
    force: bool = False


@dataclass(frozen=True)
class RecordTracking(Command):
    courier: str
    updates: list[TrackingUpdate] = field(default_factory=list)


@dataclass(frozen=True)
class ReprintLabel(Command):
    shipment_id: str


def _courier(ctx: HubContext, name: str) -> Courier:
    lookup = getattr(ctx.courier, "courier", None)
    if callable(lookup):
        found: Courier = lookup(name)
        return found
    if ctx.courier.name != name:
        raise errors.NotFound(f"courier {name!r} is not configured")
    return ctx.courier


def manifest_view(row: Any) -> dict[str, Any]:
    check = check_scan_out(row.tracking_numbers, row.scanned)
    return {"id": row.id, "courier": row.courier, "day": row.day, "reference": row.reference,
            "status": row.status, "parcels": len(row.tracking_numbers),
            "scanned": list(check.scanned), "missing": list(check.missing),
            "extra": list(check.extra), "complete": check.complete}


def close_day(cmd: CloseDay, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    """Manifest every parcel booked with the courier that is on no manifest yet."""
    day = cmd.day or ctx.now().date()
    on_manifests = {n for (numbers,) in uow.session.execute(
        select(manifests.c.tracking_numbers).where(manifests.c.courier == cmd.courier))
        for n in numbers}
    rows = uow.session.execute(select(shipments).where(
        shipments.c.courier == cmd.courier)).all()
    parcels = [r for r in rows if r.tracking_number not in on_manifests
               and r.created_at.date() <= day]
    if not parcels:
        raise errors.Conflict(f"no {cmd.courier} parcels waiting for a manifest")
    bookings = [Booking(r.courier, r.service, r.tracking_number, "") for r in parcels]
    reference = f"{cmd.courier}-{day.isoformat()}-{uuid.uuid4().hex[:6]}"
    # without a courier manifest the hub's own reference stands: the scan-out checks the same
    with contextlib.suppress(CourierUnsupported):
        reference = _courier(ctx, cmd.courier).manifest(bookings).reference
    manifest_id = f"man_{uuid.uuid4().hex[:12]}"
    uow.session.execute(manifests.insert().values(
        id=manifest_id, courier=cmd.courier, day=day.isoformat(), reference=reference,
        tracking_numbers=[normalise(r.tracking_number) for r in parcels], scanned=[],
        status="open", created_at=ctx.now()))
    uow.commit()
    return _manifest(uow, manifest_id)


def _row(uow: UnitOfWork, manifest_id: str) -> Any:
    row = uow.session.execute(select(manifests).where(manifests.c.id == manifest_id)).first()
    if row is None:
        raise errors.NotFound(f"manifest {manifest_id!r} not found")
    return row


def _manifest(uow: UnitOfWork, manifest_id: str) -> dict[str, Any]:
    return manifest_view(_row(uow, manifest_id))


def scan_out(cmd: ScanOut, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    row = _row(uow, cmd.manifest_id)
    if row.status != "open":
        raise errors.Conflict(f"manifest {row.id} is {row.status}")
    barcode = normalise(cmd.barcode)
    if not barcode:
        raise errors.InvalidInput("empty barcode")
    uow.session.execute(update(manifests).where(manifests.c.id == row.id).values(
        scanned=[*row.scanned, barcode]))
    uow.commit()
    view = _manifest(uow, row.id)
    view["last"] = {"barcode": barcode, "on_manifest": barcode in row.tracking_numbers}
    return view


def dispatch(cmd: Dispatch, uow: UnitOfWork, ctx: HubContext) -> dict[str, Any]:
    row = _row(uow, cmd.manifest_id)
    check: ScanCheck = check_scan_out(row.tracking_numbers, row.scanned)
    if not check.complete and not cmd.force:
        raise errors.Conflict(f"manifest {row.id}: missing {list(check.missing)}, "
                              f"extra {list(check.extra)}")
    now = ctx.now()
    handed = set(check.scanned) & set(check.expected)
    for shipment in uow.session.execute(select(shipments).where(
            shipments.c.courier == row.courier)).all():
        if normalise(shipment.tracking_number) in handed:
            order = uow.repo.get_order(shipment.order_id, lock=True)
            if order is not None:
                order.record(Step.HANDED_OVER, "handed_over", now, courier=row.courier,
                             manifest=row.reference, tracking_number=shipment.tracking_number)
                queue_message(uow, ctx, order, "shipped", f"handed_over:{shipment.tracking_number}",
                              courier=row.courier, tracking_number=shipment.tracking_number)
    uow.session.execute(update(manifests).where(manifests.c.id == row.id).values(
        status="closed", closed_at=now))
    uow.commit()
    view = _manifest(uow, row.id)
    view["forced"] = cmd.force and not check.complete
    return view


def record_tracking(cmd: RecordTracking, uow: UnitOfWork, ctx: HubContext) -> dict[str, int]:
    """Tracking events on the order's timeline (step 15), each recorded once."""
    recorded = unknown = 0
    seen_keys: set[tuple[str, str]] = set()
    for update_ in sorted(cmd.updates, key=lambda u: u.at.timestamp() if u.at else 0.0):
        row = uow.session.execute(select(shipments).where(
            shipments.c.tracking_number == update_.tracking_number)).first()
        order = uow.repo.get_order(row.order_id, lock=True) if row else None
        if order is None:
            unknown += 1
            continue
        key = f"{update_.code}|{update_.at.isoformat() if update_.at else ''}"
        if (order.id, key) in seen_keys or any(
                e.details.get("event_key") == key for e in uow.repo.timeline(order.id)
                if e.step == Step.DELIVERED):
            continue
        seen_keys.add((order.id, key))
        status = TrackingStatus(update_.status)
        name = "delivered" if status == TrackingStatus.DELIVERED else f"tracking_{status}"
        order.record(Step.DELIVERED, name, update_.at or ctx.now(), actor=cmd.courier,
                     outcome="exception" if status == TrackingStatus.EXCEPTION else "ok",
                     status=str(status), code=update_.code, description=update_.description,
                     location=update_.location, tracking_number=update_.tracking_number,
                     event_key=key)
        template = MESSAGE_OF_STATUS.get(status)
        if template is not None:  # a delay is told per event, the rest once per order
            queue_message(uow, ctx, order, template,
                          key if template == "delay" else update_.tracking_number,
                          courier=cmd.courier, tracking_number=update_.tracking_number,
                          description=update_.description, location=update_.location)
        recorded += 1
    uow.commit()
    return {"recorded": recorded, "unknown": unknown}


def reprint_label(cmd: ReprintLabel, uow: UnitOfWork, ctx: HubContext) -> str:
    shipment = uow.repo.get_shipment(cmd.shipment_id)
    if shipment is None:
        raise errors.NotFound(f"shipment {cmd.shipment_id!r} not found")
    order = uow.repo.get_order(shipment.order_id)
    if order is None or not order.pack_device_id:
        raise errors.Conflict(f"shipment {shipment.id}: no pack bench to print on")
    command_id = send_print_label(uow, ctx, order.pack_device_id, order, shipment,
                                  f"label_{shipment.id}_{uuid.uuid4().hex[:6]}",
                                  shipment.weight_g)
    uow.commit()
    return command_id
