"""The edge agent killed (SIGKILL) again and again while its operator scans and packs.

The run of ``tests/integration/edge_link/test_kill9_stream.py`` at the issue's sizes: a real
``fulfil-edge simulate --role pack_bench`` process, its outbox checked with
``PRAGMA integrity_check`` after every kill, every order verified and labelled exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.sizes import FULL, SIZES, report
from tests.integration.edge_link.edge_hub_double import TestHub
from tests.integration.edge_link.test_kill9_stream import AckingHub, run_agent_kills

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(3600 if FULL else 240)]


@pytest.fixture
def hub(mosquitto_url: str, unique_site: str) -> Iterator[TestHub]:
    test_hub = TestHub(mosquitto_url, unique_site)
    yield test_hub
    test_hub.close()


@pytest.fixture
def acking_hub(hub: TestHub) -> Iterator[AckingHub]:
    a = AckingHub(hub)
    a.start()
    yield a
    a.stop()


def test_agent_sigkill_during_scans(mosquitto_url: str, unique_site: str, hub: TestHub,
                                    acking_hub: AckingHub, tmp_path: Path) -> None:
    counts = run_agent_kills(mosquitto_url, unique_site, hub, acking_hub, tmp_path,
                             SIZES.pack_orders, SIZES.agent_kills)
    report("agent SIGKILL", attempted=counts.events + counts.lost, acknowledged=counts.events,
           lost=counts.lost, duplicated=counts.duplicated, kills=counts.kills,
           orders=counts.orders,
           confirmed_scans=counts.confirmed_scans, rejected_scans=counts.rejected_scans,
           events=counts.events, redelivered=counts.redelivered,
           integrity_checks_ok=counts.integrity_checks)
    # run_agent_kills checks each order and event in detail; the totals it reports:
    assert counts.lost == 0 and counts.duplicated == 0
    assert counts.events > 0 and counts.confirmed_scans > 0
