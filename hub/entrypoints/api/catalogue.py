"""SKUs, locations and stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from hub.domain import commands
from hub.entrypoints.api.deps import ChannelOrOps, HubDep, Ops, UowDep
from hub.entrypoints.api.schemas import (
    AdjustIn,
    BalanceOut,
    LocationIn,
    ReceiveIn,
    SkuIn,
    SkuOut,
)

router = APIRouter(tags=["catalogue and stock"])


@router.post("/skus", response_model=SkuOut, status_code=status.HTTP_201_CREATED)
def add_sku(body: SkuIn, hub: HubDep, _: Ops) -> SkuOut:
    hub.handle(commands.AddSku(**body.model_dump()))
    return SkuOut(**body.model_dump(), available=0)


@router.get("/skus", response_model=list[SkuOut])
def list_skus(uow: UowDep, _: ChannelOrOps) -> list[SkuOut]:
    return [SkuOut(sku=s.sku, name=s.name, barcode=s.barcode, unit_weight_g=s.unit_weight_g,
                   reorder_level=s.reorder_level, available=uow.repo.available(s.sku))
            for s in uow.repo.skus()]


@router.post("/locations", response_model=LocationIn, status_code=status.HTTP_201_CREATED)
def add_location(body: LocationIn, hub: HubDep, _: Ops) -> LocationIn:
    hub.handle(commands.AddLocation(**body.model_dump()))
    return body


@router.get("/locations", response_model=list[LocationIn])
def list_locations(uow: UowDep, _: Ops) -> list[LocationIn]:
    return [LocationIn(code=loc.code, zone=loc.zone, pick_sequence=loc.pick_sequence)
            for loc in uow.repo.locations()]


@router.post("/stock/receive", response_model=list[BalanceOut])
def receive(body: ReceiveIn, hub: HubDep, _: Ops) -> list[BalanceOut]:
    hub.handle(commands.ReceiveStock(**body.model_dump()))
    return _balances(hub, body.sku)


@router.post("/stock/adjust", response_model=list[BalanceOut])
def adjust(body: AdjustIn, hub: HubDep, _: Ops) -> list[BalanceOut]:
    hub.handle(commands.AdjustStock(**body.model_dump()))
    return _balances(hub, body.sku)


@router.get("/stock", response_model=list[BalanceOut])
def stock(hub: HubDep, _: ChannelOrOps,
          sku: Annotated[str | None, Query(max_length=64)] = None) -> list[BalanceOut]:
    return _balances(hub, sku)


def _balances(hub: HubDep, sku: str | None) -> list[BalanceOut]:
    with hub.uow() as uow:
        return [BalanceOut(sku=r.sku, location=r.location, on_hand=r.on_hand,
                           reserved=r.reserved, available=r.on_hand - r.reserved)
                for r in uow.repo.balances(sku)]
