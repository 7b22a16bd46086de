"""Domain events: raised by handlers, dispatched by the bus after the commit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class OrderAccepted(Event):
    order_id: str


@dataclass(frozen=True)
class OrderPicked(Event):
    order_id: str


@dataclass(frozen=True)
class StockBelowReorderLevel(Event):
    sku: str
    available: int
    reorder_level: int
