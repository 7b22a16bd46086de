"""The live dashboard: static files shipped with the package, data over server-sent events.

No build step: ``static/`` holds plain HTML, JS and CSS; charts are drawn as SVG by the page.
Data needs an ops key (header, or ``?key=`` for EventSource, which cannot send headers),
except in demo mode for browsers on this machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from hub.adapters.analytics_queries import (
    bench_queues,
    pick_progress,
    promises,
    timeline_events,
    timeline_version,
)
from hub.analytics.report import build_report, plain
from hub.bootstrap import Hub
from hub.entrypoints.api.deps import HubDep
from hub.errors import Forbidden, NotFound, Unauthorized
from hub.service_layer.api_keys import scopes_for
from hub.service_layer.waves import current_waves

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
STATIC = resources.files(__package__) / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
STREAM_S = 30.0  # each event stream ends after this; the browser reconnects at once
FLOOR_EVERY_S = 1.0
REPORT_EVERY_S = 5.0


def open_without_key(hub: Hub, request: Request) -> bool:
    if not hub.settings.demo_mode or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def dashboard_access(request: Request, hub: HubDep,
                     x_api_key: Annotated[str | None, Header()] = None,
                     key: Annotated[str | None, Query(description="ops key (EventSource)")]
                     = None) -> None:
    if open_without_key(hub, request):
        return
    presented = x_api_key or key
    if not presented:
        raise Unauthorized("the dashboard needs an ops key (X-API-Key or ?key=)")
    with hub.uow(read_only=True) as uow:
        scopes = scopes_for(uow, presented)
    if scopes is None:
        raise Unauthorized("the API key is not known or was revoked")
    if "ops" not in scopes:
        raise Forbidden("the dashboard needs a key with scope ops")


Access = Annotated[None, Depends(dashboard_access)]


def floor_data(hub: Hub) -> dict[str, Any]:
    """What the floor view shows: devices, pick progress, current waves, bench queues,
    backlogs."""
    with hub.uow(read_only=True) as uow:
        devices = [{"device_id": d.device_id, "role": d.role, "zone": d.zone,
                    "state": d.state, "peripherals": d.peripherals or {},
                    "last_seen": d.last_seen.isoformat() if d.last_seen else None,
                    "outbox_depth": d.outbox_depth} for d in uow.repo.devices()]
        data = {"devices": devices, "zones": pick_progress(uow.session),
                "benches": bench_queues(uow.session), "waves": current_waves(uow.session),
                "orders": uow.repo.count_orders_by_status(),
                "outbox_depth": uow.repo.outbox_depth()}
    data["inbox_backlog"] = hub.worker.backlog() if hub.worker else 0
    return data


class ReportCache:
    """The manager report, recomputed only when the timeline has grown since the last time
    (every open dashboard asks every few seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._data: dict[str, Any] = {}

    def get(self, hub: Hub) -> dict[str, Any]:
        with self._lock:
            with hub.uow(read_only=True) as uow:
                key = timeline_version(uow.session)
                if key == self._key:
                    return self._data
                events = timeline_events(uow.session)
                promised = promises(uow.session)
            self._key, self._data = key, plain(build_report(events, promised))
            return self._data


def report_data(request: Request) -> dict[str, Any]:
    state = request.app.state
    if not hasattr(state, "report_cache"):
        state.report_cache = ReportCache()
    cache: ReportCache = state.report_cache
    return cache.get(state.hub)


@router.get("", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/", include_in_schema=False)
def index() -> Response:
    return static_file("index.html")


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    suffix = name[name.rfind("."):] if "." in name else ""
    path = STATIC / name
    if "/" in name or suffix not in TYPES or not path.is_file():
        raise NotFound(f"no dashboard file {name!r}")
    return Response(path.read_bytes(), media_type=TYPES[suffix],
                    headers={"Cache-Control": "no-cache"})


@router.get("/api/access")
def access(request: Request, hub: HubDep) -> dict[str, bool]:
    """Whether this browser needs to give a key (the page asks for one only then)."""
    return {"demo": hub.settings.demo_mode, "key_needed": not open_without_key(hub, request)}


@router.get("/api/floor")
def floor(hub: HubDep, _: Access) -> dict[str, Any]:
    return floor_data(hub)


@router.get("/api/report")
def report(request: Request, _: Access) -> dict[str, Any]:
    return report_data(request)


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


async def _events(request: Request, hub: Hub) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    yield "retry: 1000\n\n"
    last_floor, last_report, next_report = "", "", started
    while loop.time() - started < STREAM_S and not await request.is_disconnected():
        floor_now = sse("floor", await run_in_threadpool(floor_data, hub))
        if floor_now != last_floor:
            last_floor = floor_now
            yield floor_now
        if loop.time() >= next_report:
            next_report = loop.time() + REPORT_EVERY_S
            report_now = sse("report", await run_in_threadpool(report_data, request))
            if report_now != last_report:
                last_report = report_now
                yield report_now
        yield ": tick\n\n"
        await asyncio.sleep(FLOOR_EVERY_S)


@router.get("/stream")
def stream(request: Request, hub: HubDep, _: Access) -> StreamingResponse:
    """Server-sent events: ``floor`` when it changes (checked every second), ``report``
    when it changes (checked every 5 s)."""
    return StreamingResponse(_events(request, hub), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
