"""Dependencies of the API routes: the hub, a unit of work, and API-key scopes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request

from hub.bootstrap import Hub
from hub.errors import Forbidden, Unauthorized
from hub.service_layer.api_keys import scopes_for
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

    def check(hub: HubDep,
              x_api_key: Annotated[str | None, Header()] = None,
              authorization: Annotated[str | None, Header()] = None) -> list[str]:
        key = _presented_key(x_api_key, authorization)
        if key is None:
            raise Unauthorized("an API key is required (header X-API-Key or "
                               "Authorization: Bearer)")
        with hub.uow(read_only=True) as uow:
            scopes = scopes_for(uow, key)
        if scopes is None:
            raise Unauthorized("the API key is not known or was revoked")
        if not set(scopes) & set(allowed):
            raise Forbidden(f"this needs a key with scope {' or '.join(allowed)}; "
                            f"the key has {', '.join(scopes)}")
        return scopes

    return check


Ops = Annotated[list[str], Depends(require("ops"))]
ChannelOrOps = Annotated[list[str], Depends(require("channel", "ops"))]
DeviceOrOps = Annotated[list[str], Depends(require("device", "ops"))]
