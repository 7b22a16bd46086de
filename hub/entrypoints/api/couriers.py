"""Couriers: end-of-day manifests and the dock scan-out (step 13), tracking events by webhook
or poll (step 15), label reprint and download, packing slips."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.adapters.couriers.base import CourierError, TrackingUpdate
from hub.adapters.couriers.ledger import BookingLedger
from hub.adapters.orm import shipments
from hub.bootstrap import Hub
from hub.domain.timeline import Step
from hub.domain.tracking_status import TrackingStatus, map_status
from hub.entrypoints.api.deps import HubDep, Ops, UowDep, require
from hub.errors import InvalidInput, NotFound
from hub.labels.convert import LabelConversionError, PrinterTarget, convert_label
from hub.labels.slip import packing_slip
from hub.service_layer.handlers import couriers as handlers

router = APIRouter(tags=["couriers"])
CourierOrOps = Annotated[list[str], Depends(require("courier", "ops"))]
DeviceOrOps = Annotated[list[str], Depends(require("device", "ops"))]


class ManifestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courier: str = Field(min_length=1, max_length=32)
    day: date | None = None


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    barcode: str = Field(min_length=1, max_length=64)


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    force: bool = False


class TrackingEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: str = Field(min_length=1, max_length=64)
    code: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=500)
    at: datetime | None = None
    location: str = Field(default="", max_length=200)
    status: TrackingStatus | None = None  # when the sender already knows it


class TrackingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courier: str = Field(min_length=1, max_length=32)
    events: list[TrackingEventIn] = Field(min_length=1, max_length=1000)


@router.post("/manifests", status_code=status.HTTP_201_CREATED)
def close_day(body: ManifestIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.CloseDay(body.courier, body.day))
    return result


@router.get("/manifests/{manifest_id}")
def get_manifest(manifest_id: str, uow: UowDep, _: DeviceOrOps) -> dict[str, Any]:
    return handlers.manifest_view(handlers._row(uow, manifest_id))


@router.post("/manifests/{manifest_id}/scans")
def scan_out(manifest_id: str, body: ScanIn, hub: HubDep, _: DeviceOrOps) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.ScanOut(manifest_id, body.barcode))
    return result


@router.post("/manifests/{manifest_id}/dispatch")
def dispatch(manifest_id: str, body: DispatchIn, hub: HubDep, _: Ops) -> dict[str, Any]:
    result: dict[str, Any] = hub.handle(handlers.Dispatch(manifest_id, body.force))
    return result


@router.post("/tracking/events")
def tracking_webhook(body: TrackingIn, hub: HubDep, _: CourierOrOps) -> dict[str, int]:
    updates = [TrackingUpdate(
        tracking_number=e.tracking_number, at=e.at, code=e.code, description=e.description,
        location=e.location,
        status=str(e.status or map_status(body.courier, e.code, e.description)))
        for e in body.events]
    result: dict[str, int] = hub.handle(handlers.RecordTracking(body.courier, updates))
    return result


@router.post("/tracking/poll")
def tracking_poll(hub: HubDep, _: Ops,
                  courier: Annotated[str, Query(min_length=1, max_length=32)]) -> dict[str, Any]:
    """Ask the courier about every parcel of theirs not yet delivered."""
    with hub.uow(read_only=True) as uow:
        numbers = [r.tracking_number for r in uow.session.execute(
            select(shipments.c.tracking_number, shipments.c.order_id).where(
                shipments.c.courier == courier)).all()
            if not any(e.name == "delivered" and e.step == Step.DELIVERED
                       for e in uow.repo.timeline(r.order_id))]
    carrier = handlers._courier(hub.ctx, courier)
    updates: list[TrackingUpdate] = []
    failures: dict[str, str] = {}
    for number in numbers:
        try:
            updates += carrier.track(number)
        except CourierError as exc:
            failures[number] = str(exc)
    result: dict[str, Any] = hub.handle(handlers.RecordTracking(courier, updates)) \
        if updates else {"recorded": 0, "unknown": 0}
    return {**result, "polled": len(numbers), "failed": failures}


@router.post("/shipments/{shipment_id}/reprint", status_code=status.HTTP_202_ACCEPTED)
def reprint(shipment_id: str, hub: HubDep, _: Ops) -> dict[str, str]:
    return {"command_id": hub.handle(handlers.ReprintLabel(shipment_id))}


def _ledger(hub: Hub) -> BookingLedger | None:
    for courier in getattr(hub.ctx.courier, "couriers", {}).values():
        ledger = getattr(courier, "ledger", None)
        if isinstance(ledger, BookingLedger):
            return ledger
    return None


@router.get("/shipments/{shipment_id}/label", response_class=Response)
def label(shipment_id: str, hub: HubDep, _: Ops,
          language: Literal["zpl", "escpos", "epl", "original"] = "original",
          dpi: Annotated[int, Query(ge=100, le=600)] = 203,
          width_dots: Annotated[int, Query(ge=64, le=2400)] = 576) -> Response:
    """The courier's label, as the courier sent it or converted for a printer."""
    with hub.uow(read_only=True) as uow:
        shipment = uow.repo.get_shipment(shipment_id)
        if shipment is None:
            raise NotFound(f"shipment {shipment_id!r} not found")
        number = shipment.tracking_number
    ledger = _ledger(hub)
    entry = ledger.for_tracking_number(number) if ledger else None
    if entry is None or entry.booking is None or not entry.booking.label:
        raise NotFound(f"shipment {shipment_id}: the courier sent no label (the bench "
                       "prints the hub's own)")
    booking = entry.booking
    if language == "original":
        return Response(booking.label, media_type=_media(booking.label_format))
    try:
        data = convert_label(booking.label, booking.label_format,
                             PrinterTarget(language, dpi=dpi, width_dots=width_dots))
    except LabelConversionError as exc:
        raise InvalidInput(str(exc)) from exc
    return Response(data, media_type="application/octet-stream")


def _media(label_format: str) -> str:
    return {"PDF": "application/pdf", "PNG": "image/png"}.get(label_format.upper(),
                                                               "application/octet-stream")


@router.get("/orders/{order_id}/packing-slip", response_class=Response)
def slip(order_id: str, uow: UowDep, _: Ops,
         width: Annotated[int, Query(ge=24, le=120)] = 48) -> Response:
    order = uow.repo.get_order(order_id)
    if order is None:
        raise NotFound(f"order {order_id!r} not found")
    text = packing_slip(order, uow.repo.shipment_for_order(order_id), width)
    return Response(text, media_type="text/plain; charset=utf-8")
