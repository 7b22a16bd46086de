"""Pick routes and the warehouse layout (ops scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from hub.entrypoints.api.deps import HubDep, Ops
from hub.errors import NotFound
from hub.routing.layout import Layout
from hub.routing.route import Method, Route, plan_route
from hub.service_layer.warehouse_layout import current_layout, layout_text, save_layout

router = APIRouter(tags=["routing"])


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locations: list[str] = Field(min_length=1, max_length=2000,
                                 description="location codes of the pick list, e.g. A01-02-A")
    method: Method = Field(default="auto", description="auto picks the best solver; the "
                           "policies (s_shape, return, midpoint, largest_gap) are baselines")


class StopOut(BaseModel):
    location: str
    index: int = Field(description="position of this location in the request")
    leg_m: float
    cumulative_m: float


class RouteOut(BaseModel):
    stops: list[StopOut]
    return_leg_m: float
    total_m: float
    method: str


class LayoutOut(BaseModel):
    aisles: list[str]
    blocks: int
    bays_per_aisle: int
    levels: int
    depot_aisle: str
    rectangular: bool
    zones: dict[str, list[str]]
    yaml: str


def _layout(hub: HubDep) -> Layout:
    layout = current_layout(hub.settings)
    if layout is None:
        raise NotFound("no warehouse layout is configured (FULFIL_LAYOUT_PATH)")
    return layout


def _describe(layout: Layout, text: str) -> LayoutOut:
    return LayoutOut(aisles=layout.aisle_names, blocks=layout.blocks,
                     bays_per_aisle=layout.total_bays, levels=layout.config.levels,
                     depot_aisle=layout.aisle_names[layout.depot_aisle],
                     rectangular=layout.rectangular, zones=layout.config.zones, yaml=text)


@router.post("/routes", response_model=RouteOut)
def route_pick_list(body: RouteIn, hub: HubDep, _: Ops) -> RouteOut:
    """The shortest walk from the depot through every location and back."""
    return _route_out(plan_route(_layout(hub), body.locations, body.method))


def _route_out(route: Route) -> RouteOut:
    return RouteOut(stops=[StopOut(location=s.code, index=s.index, leg_m=s.leg_m,
                                   cumulative_m=s.cumulative_m) for s in route.stops],
                    return_leg_m=route.return_leg_m, total_m=route.total_m,
                    method=route.method)


@router.get("/layout", response_model=LayoutOut)
def get_layout(hub: HubDep, _: Ops) -> LayoutOut:
    layout = _layout(hub)
    return _describe(layout, layout_text(hub.settings) or "")


@router.put("/layout", response_model=LayoutOut)
def put_layout(hub: HubDep, _: Ops,
               text: Annotated[str, Body(media_type="application/yaml",
                                         description="the layout as YAML")]) -> LayoutOut:
    """Replace the layout (validated first; the old one stays on any error)."""
    return _describe(save_layout(hub.settings, text), text)
