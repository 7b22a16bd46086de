"""Devices: the fleet as the hub last heard it (birth, death, health)."""

from __future__ import annotations

from fastapi import APIRouter

from hub.entrypoints.api.deps import DeviceOrOps, UowDep
from hub.entrypoints.api.schemas import DeviceOut
from hub.errors import NotFound

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
def list_devices(uow: UowDep, _: DeviceOrOps) -> list[DeviceOut]:
    return [DeviceOut.model_validate(row._asdict()) for row in uow.repo.devices()]


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, uow: UowDep, _: DeviceOrOps) -> DeviceOut:
    row = uow.repo.device(device_id)
    if row is None:
        raise NotFound(f"device {device_id!r} not known")
    return DeviceOut.model_validate(row._asdict())
