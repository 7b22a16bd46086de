"""Dependencies of the API routes: the hub, a unit of work, and API-key scopes.

The checked key is kept on ``request.state.api_key``; a key bound to a sales channel is
limited to that channel's orders by the routes that read or change orders
(``channel_of_key`` / ``check_channel``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request

from hub.bootstrap import Hub
from hub.errors import Forbidden, NotFound, Unauthorized
from hub.service_layer.api_keys import ApiKey, lookup
from hub.service_layer.unit_of_work import UnitOfWork


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_uow(hub: HubDep) -> Iterator[UnitOfWork]:
    with hub.uow(read_only=True) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def _presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require(*allowed: str) -> Callable[..., list[str]]:
    """A dependency that lets the request through when its key has one of ``allowed``."""

    def check(request: Request, hub: HubDep,
              x_api_key: Annotated[str | None, Header()] = None,
              authorization: Annotated[str | None, Header()] = None) -> list[str]:
        key = _presented_key(x_api_key, authorization)
        if key is None:
            raise Unauthorized("an API key is required (header X-API-Key or "
                               "Authorization: Bearer)")
        with hub.uow(read_only=True) as uow:
            info = lookup(uow, key, hub.ctx.now())
        if info is None:
            raise Unauthorized("the API key is not known, was revoked or has expired")
        if not set(info.scopes) & set(allowed):
            raise Forbidden(f"this needs a key with scope {' or '.join(allowed)}; "
                            f"the key has {', '.join(info.scopes)}")
        request.state.api_key = info
        return info.scopes

    return check


Ops = Annotated[list[str], Depends(require("ops"))]
ChannelOrOps = Annotated[list[str], Depends(require("channel", "ops"))]
DeviceOrOps = Annotated[list[str], Depends(require("device", "ops"))]


def channel_of_key(request: Request) -> str | None:
    """The sales channel the request's key is bound to (None: any channel)."""
    info: ApiKey | None = getattr(request.state, "api_key", None)
    return None if info is None else info.channel


def check_channel(request: Request, channel: str) -> None:
    """Refuse a key bound to another channel from creating or sending that channel's orders."""
    bound = channel_of_key(request)
    if bound is not None and bound != channel:
        raise Forbidden(f"this key is bound to channel {bound!r}, not {channel!r}")


def check_order_visible(request: Request, order_channel: str, order_id: str) -> None:
    """Another channel's order does not exist for a bound key (404, so ids leak nothing)."""
    bound = channel_of_key(request)
    if bound is not None and bound != order_channel:
        raise NotFound(f"order {order_id!r} not found")
