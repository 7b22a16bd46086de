"""API keys (ops scope): list, create, rotate, revoke. A key is shown once, when made; the hub
keeps only its hash."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from hub.entrypoints.api.deps import HubDep, Ops
from hub.service_layer import api_keys
from hub.service_layer.api_keys import ApiKey, NewKey

router = APIRouter(prefix="/keys", tags=["API keys"])
Scope = api_keys.Scope


class KeyOut(BaseModel):
    id: str
    name: str
    scopes: list[str]
    channel: str | None = Field(description="the sales channel the key is bound to")
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = Field(description="end of the grace period after rotation")


class NewKeyOut(KeyOut):
    key: str = Field(description="the key itself; shown only in this answer")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="who the key is for")
    scopes: list[Scope] = Field(min_length=1, max_length=4)
    channel: str | None = Field(default=None, pattern=api_keys.CHANNEL_NAME.pattern,
                                description="bind a channel key to this sales channel")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_s: float | None = Field(
        default=None, ge=0, le=90 * 86400,
        description="seconds the old key still works; none: until revoked")


def _out(info: ApiKey) -> KeyOut:
    return KeyOut(id=info.id, name=info.name, scopes=info.scopes, channel=info.channel,
                  created_at=info.created_at, revoked_at=info.revoked_at,
                  expires_at=info.expires_at)


def _new(made: NewKey) -> NewKeyOut:
    return NewKeyOut(key=made.key, **_out(made.info).model_dump())


@router.get("", response_model=list[KeyOut])
def list_keys(hub: HubDep, _: Ops) -> list[KeyOut]:
    with hub.uow(read_only=True) as uow:
        return [_out(k) for k in api_keys.list_keys(uow)]


@router.post("", response_model=NewKeyOut, status_code=status.HTTP_201_CREATED)
def create_key(body: KeyIn, hub: HubDep, _: Ops) -> NewKeyOut:
    with hub.uow() as uow:
        return _new(api_keys.issue_key(uow, hub.ctx, body.name, list(body.scopes),
                                       body.channel))


@router.post("/{key_id}/rotate", response_model=NewKeyOut, status_code=status.HTTP_201_CREATED)
def rotate_key(key_id: str, body: RotateIn, hub: HubDep, _: Ops) -> NewKeyOut:
    """A new key with the same name, scopes and channel; the old one works until revoked or
    for ``grace_s`` seconds."""
    with hub.uow() as uow:
        api_keys.get_key(uow, key_id)  # by id here; the CLI also takes a name
        return _new(api_keys.rotate_key(uow, hub.ctx, key_id, body.grace_s))


@router.post("/{key_id}/revoke", response_model=KeyOut)
def revoke_key(key_id: str, hub: HubDep, _: Ops) -> KeyOut:
    """Refused from the next request on."""
    with hub.uow() as uow:
        api_keys.get_key(uow, key_id)
        api_keys.revoke_key(uow, hub.ctx, key_id)
        return _out(api_keys.get_key(uow, key_id))
