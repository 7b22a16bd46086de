"""Waves (ops scope): build one from released orders, list them, read one with its trips."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from hub.entrypoints.api.deps import HubDep, Ops, UowDep
from hub.service_layer.handlers.waves import MAX_ORDERS, BuildWave
from hub.service_layer.waves import get_wave, list_waves

router = APIRouter(tags=["waves"])
WaveState = Literal["open", "picking", "done"]


class WaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_ids: list[str] = Field(default_factory=list, max_length=MAX_ORDERS,
                                 description="released orders to wave; empty: the oldest "
                                 "released orders not yet in a wave")
    zone: str | None = Field(default=None, description="wave only this zone's picks")
    totes: int = Field(ge=1, le=64, description="tote slots on one cart (one order per tote)")
    units_per_trip: int | None = Field(default=None, ge=1, description="cart unit capacity")
    max_orders: int = Field(default=500, ge=1, le=MAX_ORDERS,
                            description="at most this many orders when order_ids is empty")


class ZoneProgress(BaseModel):
    zone: str
    trips: int
    trips_done: int
    picks: int
    picks_confirmed: int = Field(description="picks confirmed or reported short")
    units: int
    picked: int
    short: int


class WaveSummary(BaseModel):
    id: str
    state: WaveState
    zone: str | None
    totes: int
    units_per_trip: int | None
    orders: int
    trips: int
    picks: int
    picks_confirmed: int
    units: int
    progress: float = Field(description="share of the wave's picks confirmed, 0..1")
    total_m: float = Field(description="walk of all trips, metres")
    created_at: datetime
    started_at: datetime | None
    done_at: datetime | None
    zones: list[ZoneProgress]


class ToteOut(BaseModel):
    slot: int
    order_id: str


class TripStop(BaseModel):
    seq: int = Field(description="position in the walk")
    pick_id: str
    order_id: str
    tote: int
    location: str
    sku: str
    qty: int
    qty_picked: int
    qty_short: int
    status: str
    cumulative_m: float


class TripOut(BaseModel):
    id: str = Field(description="the task id the zone device gets")
    seq: int
    zone: str
    total_m: float
    method: str
    device_id: str | None = Field(description="None until a zone device is online")
    sent_at: datetime | None
    totes: list[ToteOut]
    stops: list[TripStop]


class WaveOut(WaveSummary):
    trip_list: list[TripOut]


@router.post("/waves", response_model=WaveOut, status_code=status.HTTP_201_CREATED)
def build_wave(body: WaveIn, hub: HubDep, _: Ops) -> WaveOut:
    """Batch released orders into cart trips per zone, route each trip, give each order a
    tote slot, store the wave and send each trip to its zone device in walking order."""
    wave_id = hub.handle(BuildWave(
        totes=body.totes, order_ids=tuple(body.order_ids), zone=body.zone,
        units_per_trip=body.units_per_trip, max_orders=body.max_orders))
    with hub.uow(read_only=True) as uow:
        return WaveOut.model_validate(get_wave(uow.session, wave_id))


@router.get("/waves", response_model=list[WaveSummary])
def waves(uow: UowDep, _: Ops,
          state: Annotated[list[WaveState] | None, Query()] = None,
          limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[WaveSummary]:
    """Waves newest first with their progress per zone; ``state`` filters (repeatable)."""
    return [WaveSummary.model_validate(w) for w in list_waves(uow.session, state or (), limit)]


@router.get("/waves/{wave_id}", response_model=WaveOut)
def wave(wave_id: str, uow: UowDep, _: Ops) -> WaveOut:
    return WaveOut.model_validate(get_wave(uow.session, wave_id))
