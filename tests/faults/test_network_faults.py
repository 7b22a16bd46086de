"""Devices reach the broker through a network-fault proxy while they stream events.

The asyncio proxy (``tests/integration/edge_link/tcp_proxy.py``) sits between the edge links
and a broker of the test's own; a real hub process talks to the broker directly. During the
stream the proxy adds latency, splits every packet into fragments of a few bytes, resets the
connections (TCP RST) and blackholes the network for several keepalives. Nothing acknowledged
is lost, nothing is applied twice, and the devices are connected again within 10 s of each
reset and of the end of each blackhole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.faults.broker import BrokerProcess
from tests.faults.sizes import FULL, SIZES
from tests.faults.stream import Fleet, HubProcess, check, count, seed, wait_until
from tests.integration.edge_link.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.timeout(3600 if FULL else 240)]

RECONNECT_LIMIT_S = 10.0


@pytest.fixture
def proxy(broker: BrokerProcess) -> Iterator[TcpProxy]:
    p = TcpProxy("127.0.0.1", broker.port)
    yield p
    p.close()


def reconnected(fleet: Fleet, before: list[int]) -> bool:
    """Every link went through a disconnect (its bdseq moved on) and is connected again."""
    return all(link.bdseq > seq and link.connected.is_set()
               for link, seq in zip(fleet.links, before, strict=True))


def test_latency_fragments_resets_and_blackholes_lose_nothing(
        tmp_path: Path, broker: BrokerProcess, proxy: TcpProxy, unique_site: str,
        hub_database: str) -> None:
    events = SIZES.proxy_events
    pick = seed(hub_database, unique_site, events)
    hub = HubProcess(tmp_path, hub_database, broker.url, unique_site)
    hub.start()
    fleet = Fleet(tmp_path, proxy.url, unique_site, SIZES.devices,
                  keepalive_s=SIZES.keepalive_s)
    phase_s = events / SIZES.rate / 8
    reconnects: list[float] = []
    try:
        fleet.start()
        fleet.stream(pick, events, SIZES.rate)
        proxy.latency_s = 0.25
        time.sleep(phase_s)
        proxy.latency_s = 0.0
        proxy.fragment_bytes = 7
        time.sleep(phase_s)
        proxy.fragment_bytes = 0
        for _ in range(2):
            before = [link.bdseq for link in fleet.links]
            proxy.reset()
            reconnects.append(wait_until(partial(reconnected, fleet, before), 60,
                                         "reconnected after a reset"))
            time.sleep(phase_s / 2)
        before = [link.bdseq for link in fleet.links]
        proxy.blackhole(True)
        try:
            wait_until(lambda: not any(link.connected.is_set() for link in fleet.links),
                       6 * SIZES.keepalive_s, "every device noticed the blackhole")
            time.sleep(SIZES.blackhole_s)  # the reconnect attempts fail and back off
        finally:
            proxy.blackhole(False)
        reconnects.append(wait_until(partial(reconnected, fleet, before), 60,
                                     "reconnected after the blackhole"))
        fleet.stream_done(3600)
        fleet.wait_drained(set(fleet.attempted), 120)
    finally:
        fleet.stop()
        hub.stop()
    check("network faults", count(hub_database, pick, fleet), pick,
          connections=proxy.connections, reconnect_s=[round(r, 1) for r in reconnects])
    assert max(reconnects) <= RECONNECT_LIMIT_S, reconnects
