"""The warehouse layout of this hub: a YAML file named by FULFIL_LAYOUT_PATH.

Loaded lazily and reloaded when the file changes; written atomically when edited through the
API. Without a layout path the hub keeps ordering picks by each location's pick_sequence.
"""

from __future__ import annotations

import os
import tempfile
import threading

import structlog

from hub.config import Settings
from hub.errors import Conflict, HubError
from hub.routing.layout import Layout, layout_from_yaml, load_layout
from hub.routing.route import plan_route

log = structlog.get_logger(__name__)
Pick = tuple[str, str, int]  # (sku, location, qty)
_lock = threading.Lock()
_cache: dict[str, tuple[float, Layout]] = {}


def current_layout(settings: Settings) -> Layout | None:
    """The configured layout, or None when no layout path is set or the file is absent."""
    path = settings.layout_path
    if not path or not os.path.exists(path):
        return None
    mtime = os.stat(path).st_mtime
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        layout = load_layout(path)
        _cache[path] = (mtime, layout)
        return layout


def layout_text(settings: Settings) -> str | None:
    if not settings.layout_path or not os.path.exists(settings.layout_path):
        return None
    with open(settings.layout_path, encoding="utf-8") as handle:
        return handle.read()


def save_layout(settings: Settings, text: str) -> Layout:
    """Validate, then replace the layout file atomically; the old one stays on any error."""
    if not settings.layout_path:
        raise Conflict("no layout file is configured: set FULFIL_LAYOUT_PATH to edit the layout")
    layout = layout_from_yaml(text)
    folder = os.path.dirname(os.path.abspath(settings.layout_path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".yaml.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, settings.layout_path)
    with _lock:
        _cache.pop(settings.layout_path, None)
    log.info("layout_saved", path=settings.layout_path, aisles=layout.config.aisles,
             blocks=layout.blocks)
    return layout


def route_picks(settings: Settings, picks: list[Pick]) -> list[Pick] | None:
    """``picks`` in walking order, or None when no layout is configured or a location is not
    in it (the caller then keeps its own order)."""
    layout = current_layout(settings)
    if layout is None or not picks:
        return None
    codes = [location for _, location, _ in picks]
    try:
        route = plan_route(layout, codes)
    except HubError as exc:
        log.warning("pick_route_fallback", reason=exc.detail)
        return None
    return [picks[stop.index] for stop in route.stops]
