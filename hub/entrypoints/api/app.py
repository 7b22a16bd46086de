"""The FastAPI application (OpenAPI docs at /docs)."""

from __future__ import annotations

from fastapi import FastAPI

from hub.bootstrap import Hub
from hub.entrypoints.api import (
    analytics,
    catalogue,
    devices,
    metrics,
    order_batch,
    orders,
    problems,
    routing,
    waves,
)
from hub.entrypoints.api import channels as channel_routes
from hub.entrypoints.api import couriers as couriers_api
from hub.entrypoints.api import keys as keys_api
from hub.entrypoints.api import messages as messages_api
from hub.entrypoints.api import returns as returns_api
from hub.entrypoints.api.body_limit import BodySizeLimit
from hub.entrypoints.dashboard import router as dashboard_router


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(title="Fulfil hub", version="0.1.0",
                  description="Orders, stock, devices and the fulfilment timeline.")
    app.state.hub = hub
    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=hub.settings.api_max_body_bytes)
    app.include_router(order_batch.router)  # before /orders/{order_id}
    app.include_router(orders.router)
    app.include_router(catalogue.router)
    app.include_router(devices.router)
    app.include_router(analytics.router)
    app.include_router(metrics.router)
    app.include_router(dashboard_router)
    app.include_router(routing.router)
    app.include_router(waves.router)
    app.include_router(channel_routes.router)
    app.include_router(couriers_api.router)
    app.include_router(messages_api.router)
    app.include_router(returns_api.router)
    app.include_router(keys_api.router)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, object]:
        mqtt = hub.mqtt is not None and hub.mqtt.connected.is_set()
        return {"status": "ok", "mqtt_connected": mqtt}

    return app
