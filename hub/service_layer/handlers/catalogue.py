"""SKUs, locations and stock receipts/adjustments."""

from __future__ import annotations

from hub import errors
from hub.domain import commands
from hub.domain.model import Location, Sku
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork


def add_sku(cmd: commands.AddSku, uow: UnitOfWork, ctx: HubContext) -> Sku:
    existing = uow.repo.get_sku(cmd.sku)
    if existing is not None:
        raise errors.Conflict(f"SKU {cmd.sku!r} exists already")
    clash = uow.repo.sku_by_barcode(cmd.barcode)
    if clash is not None:
        raise errors.Conflict(f"barcode {cmd.barcode!r} belongs to SKU {clash.sku!r}")
    sku = Sku(cmd.sku, cmd.name, cmd.barcode, cmd.unit_weight_g, cmd.reorder_level)
    uow.repo.add(sku)
    uow.commit()
    return sku


def add_location(cmd: commands.AddLocation, uow: UnitOfWork, ctx: HubContext) -> Location:
    if uow.repo.get_location(cmd.code) is not None:
        raise errors.Conflict(f"location {cmd.code!r} exists already")
    location = Location(cmd.code, cmd.zone, cmd.pick_sequence)
    uow.repo.add(location)
    uow.commit()
    return location


def _check_sku_location(uow: UnitOfWork, sku: str, location: str) -> None:
    if uow.repo.get_sku(sku) is None:
        raise errors.NotFound(f"unknown SKU {sku!r}")
    if uow.repo.get_location(location) is None:
        raise errors.NotFound(f"unknown location {location!r}")


def receive_stock(cmd: commands.ReceiveStock, uow: UnitOfWork, ctx: HubContext) -> None:
    _check_sku_location(uow, cmd.sku, cmd.location)
    uow.repo.add_on_hand(cmd.sku, cmd.location, cmd.qty)
    uow.repo.record_movement(cmd.sku, cmd.location, "receive", cmd.qty, ctx.now(), ref=cmd.ref)
    uow.commit()


def adjust_stock(cmd: commands.AdjustStock, uow: UnitOfWork, ctx: HubContext) -> None:
    _check_sku_location(uow, cmd.sku, cmd.location)
    if cmd.delta > 0:
        uow.repo.add_on_hand(cmd.sku, cmd.location, cmd.delta)
    elif not uow.repo.adjust_on_hand(cmd.sku, cmd.location, cmd.delta):
        raise errors.Conflict(
            f"cannot take {-cmd.delta} of {cmd.sku} from {cmd.location}: "
            "on hand would fall below zero or below what is reserved")
    uow.repo.record_movement(cmd.sku, cmd.location, "adjust", cmd.delta, ctx.now(),
                             ref=cmd.reason)
    uow.commit()
