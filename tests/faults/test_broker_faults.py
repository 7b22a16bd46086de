"""The broker killed (SIGKILL) or paused (SIGSTOP) while devices stream events to a real hub.

A Mosquitto of the test's own runs with the Ansible role's persistence settings; a real
``fulfil-hub serve`` process (SQLite) consumes the events that real edge links publish from
their outboxes. Counts: every acknowledged event has exactly one effect in the hub's
database, every outbox drains after each recovery, and a paused broker is noticed by the
devices within twice their keepalive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.faults.broker import BrokerProcess
from tests.faults.sizes import FULL, SIZES
from tests.faults.stream import Fleet, HubProcess, Pick, check, count, seed, wait_until

pytestmark = [pytest.mark.timeout(3600 if FULL else 240)]

DRAIN_LIMIT_S = 30.0  # the backlog at each recovery must be acked within this
DRAIN_WAIT_S = 300.0  # how long a slower drain is waited for, so the counts still come out
SAVED_WITHIN_S = 3.0  # a retained message is on disk this soon after its PUBACK
SEED_UNITS = 50_000  # more than any run confirms
# paho checks the keepalive from its network loop, which wakes at least once a second: the
# PINGREQ goes out up to 1 s after keepalive without a packet in, and the connection is given
# up up to 1 s after a further keepalive without the PINGRESP.
PAHO_LOOP_TICKS_S = 2.0


@pytest.fixture
def setup(tmp_path: Path, broker: BrokerProcess, unique_site: str, hub_database: str
          ) -> Iterator[tuple[Pick, HubProcess]]:
    pick = seed(hub_database, unique_site, SEED_UNITS)
    hub = HubProcess(tmp_path, hub_database, broker.url, unique_site)
    hub.start()
    yield pick, hub
    hub.stop()


def test_retained_state_survives_a_broker_sigkill(broker: BrokerProcess, unique_site: str
                                                  ) -> None:
    """The shipped persistence settings save the store every second: a retained message
    acknowledged a second before a SIGKILL is there after the restart (with the former 30 s
    autosave it was not)."""
    topic = f"fulfil/{unique_site}/dev-0/status"
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    client.publish(topic, b'{"state":"online"}', qos=1, retain=True).wait_for_publish(10)
    acked_at = time.time()
    client.disconnect()
    client.loop_stop()
    store = broker.data_dir / "mosquitto.db"
    wait_until(lambda: store.exists() and store.stat().st_mtime > acked_at,
               SAVED_WITHIN_S, "the broker saved its store")
    broker.kill()
    broker.start()
    got: list[bytes] = []
    reader = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    reader.on_message = lambda _c, _u, msg: got.append(bytes(msg.payload))
    reader.connect("127.0.0.1", broker.port)
    reader.subscribe(topic, qos=1)
    reader.loop_start()
    try:
        wait_until(lambda: bool(got), 10, "retained status after restart")
    finally:
        reader.disconnect()
        reader.loop_stop()
    assert got == [b'{"state":"online"}']


def test_broker_sigkill_during_device_stream(tmp_path: Path, broker: BrokerProcess,
                                             unique_site: str, hub_database: str,
                                             setup: tuple[Pick, HubProcess]) -> None:
    pick, _hub = setup
    fleet = Fleet(tmp_path, broker.url, unique_site, SIZES.devices)
    drains: list[float] = []
    try:
        fleet.start()
        fleet.stream(pick, SIZES.events, SIZES.rate)
        for k in range(SIZES.broker_kills):
            fleet.wait_streamed((k + 1) * SIZES.events // (SIZES.broker_kills + 1), 600)
            broker.kill()
            time.sleep(1.0)
            broker.start()
            drains.append(fleet.wait_drained(fleet.pending(), DRAIN_WAIT_S))
        fleet.stream_done(3600)
        fleet.wait_drained(set(fleet.attempted), DRAIN_WAIT_S)
    finally:
        fleet.stop()
    check("broker SIGKILL", count(hub_database, pick, fleet), pick, kills=SIZES.broker_kills,
          rate=SIZES.rate, drain_s=[round(d, 1) for d in drains])
    assert max(drains) <= DRAIN_LIMIT_S, drains


def test_broker_sigstop_is_detected_and_loses_nothing(tmp_path: Path, broker: BrokerProcess,
                                                      unique_site: str, hub_database: str,
                                                      setup: tuple[Pick, HubProcess]) -> None:
    pick, _hub = setup
    keepalive = SIZES.keepalive_s
    fleet = Fleet(tmp_path, broker.url, unique_site, SIZES.devices, keepalive_s=keepalive)
    detections: list[float] = []
    reconnects: list[float] = []
    drains: list[float] = []
    rate = SIZES.rate / 3  # a stream that lasts through all the pauses
    events = int(rate * SIZES.pauses * (SIZES.pause_s + 8))
    try:
        fleet.start()
        fleet.stream(pick, events, rate)
        for k in range(SIZES.pauses):
            fleet.wait_streamed(k * events // SIZES.pauses + int(2 * rate), 600)
            broker.pause()
            paused_at = time.monotonic()
            try:
                wait_until(lambda: not any(link.connected.is_set() for link in fleet.links),
                           SIZES.pause_s, "every device noticed the paused broker")
                detections.append(time.monotonic() - paused_at)
                time.sleep(max(0.0, SIZES.pause_s - (time.monotonic() - paused_at)))
            finally:
                broker.resume()
            resumed_at = time.monotonic()
            wait_until(lambda: all(link.connected.is_set() for link in fleet.links), 30,
                       "every device reconnected")
            reconnects.append(time.monotonic() - resumed_at)
            drains.append(fleet.wait_drained(fleet.pending(), DRAIN_WAIT_S))
        fleet.stream_done(3600)
        fleet.wait_drained(set(fleet.attempted), DRAIN_WAIT_S)
    finally:
        fleet.stop()
    check("broker SIGSTOP", count(hub_database, pick, fleet), pick, pauses=SIZES.pauses,
          pause_s=SIZES.pause_s, keepalive_s=keepalive, rate=round(rate, 1),
          detect_s=[round(d, 1) for d in detections], max_reconnect_s=round(max(reconnects), 1),
          drain_s=[round(d, 1) for d in drains])
    assert max(detections) <= 2 * keepalive + PAHO_LOOP_TICKS_S, detections
    assert max(drains) <= DRAIN_LIMIT_S, drains


def test_hub_sigkill_during_device_stream(tmp_path: Path, broker: BrokerProcess,
                                          unique_site: str, hub_database: str,
                                          setup: tuple[Pick, HubProcess]) -> None:
    pick, hub = setup
    fleet = Fleet(tmp_path, broker.url, unique_site, SIZES.devices)
    try:
        fleet.start()
        fleet.stream(pick, SIZES.events, SIZES.rate)
        for k in range(SIZES.hub_kills):
            fleet.wait_streamed((k + 1) * SIZES.events // (SIZES.hub_kills + 1), 600)
            hub.kill()
            hub.start()
        fleet.stream_done(3600)
        fleet.wait_drained(set(fleet.attempted), DRAIN_WAIT_S)
    finally:
        fleet.stop()
    counts = count(hub_database, pick, fleet)
    check("hub SIGKILL", counts, pick, kills=SIZES.hub_kills, on_hand=counts.on_hand,
          ledger_on_hand=counts.ledger_on_hand, expected_on_hand=pick.units - counts.attempted)
