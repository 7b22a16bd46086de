"""How big the fault runs are: short in CI, the issue's full sizes with FULFIL_FAULTS_FULL=1."""

from __future__ import annotations

import os
from dataclasses import dataclass

FULL = os.environ.get("FULFIL_FAULTS_FULL") == "1"


@dataclass(frozen=True)
class Sizes:
    events: int  # device events in the broker/hub kill streams
    rate: float  # events per second, all devices together
    devices: int
    broker_kills: int
    hub_kills: int
    agent_kills: int
    pack_orders: int  # orders packed while the agent is killed
    pauses: int
    pause_s: float
    keepalive_s: int
    proxy_events: int
    blackhole_s: float  # how long the network stays blackholed after the devices notice


SHORT = Sizes(events=600, rate=60.0, devices=3, broker_kills=2, hub_kills=2, agent_kills=4,
              pack_orders=8, pauses=3, pause_s=9.0, keepalive_s=3, proxy_events=240,
              blackhole_s=float(os.environ.get("FULFIL_FAULTS_BLACKHOLE_S", "12")))
ISSUE = Sizes(events=10_000, rate=200.0, devices=4, broker_kills=5, hub_kills=5, agent_kills=20,
              pack_orders=500, pauses=3, pause_s=30.0, keepalive_s=10, proxy_events=2_000,
              blackhole_s=30.0)
SIZES = ISSUE if FULL else SHORT


def report(name: str, **counts: object) -> str:
    """One line of counts every fault test prints (and the README quotes)."""
    line = f"[faults] {name}: " + " ".join(f"{k}={v}" for k, v in counts.items())
    print(line)
    return line
