"""Two hub replicas (separate processes) share one PostgreSQL and split the device events
through an MQTT shared subscription on a real Mosquitto. One replica is killed with SIGKILL
in the middle of the stream; the devices keep resending what was not acknowledged, as their
outbox does. Every event must take effect exactly once: none lost, none applied twice. The
two outbox dispatchers start on the same queued rows; each row must be sent once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
from sqlalchemy import create_engine, func, select

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.broker_url import parse_broker_url
from edge.wire.codec import encode
from hub.adapters import orm
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres, pytest.mark.e2e]

DEVICES = 4
EVENTS_PER_DEVICE = 120
RATE_PER_S = 120.0  # the stream lasts about 4 s, so the kill lands in its middle
RESEND_AFTER_S = 2.0  # a device resends what is not acked after this long
CONFIRMATIONS = 40  # orders whose confirmation waits in the outbox when the replicas start


@dataclass
class Work:
    device_id: str
    order_id: str
    task_id: str
    pick_id: str
    location: str


def seed(database_url: str) -> list[Work]:
    """One order per device, each a single pick of twice the events the device will send
    (so an event applied twice would show in qty_picked instead of being refused)."""
    hub = bootstrap(Settings(database_url=database_url))
    try:
        hub.handle(commands.AddSku("SKU", "Replica item", "5012345678900", 100.0))
        work = []
        for n in range(DEVICES):
            location = f"A0{n + 1}-01-A"
            hub.handle(commands.AddLocation(location, "A", n + 1))
            hub.handle(commands.ReceiveStock("SKU", location, 2 * EVENTS_PER_DEVICE))
            order_id, _ = hub.handle(commands.CreateOrder(
                "replicas", f"R-{n}", [commands.NewLine("SKU", 2 * EVENTS_PER_DEVICE)],
                {"name": "x"}))
            hub.handle(commands.ReleaseOrder(order_id))
            with hub.uow() as uow:
                task = uow.repo.tasks_for_order(order_id)[0]
                pick = task.picks[0]
                work.append(Work(f"zone-{n}", order_id, task.id, pick.id, pick.location))
        for n in range(CONFIRMATIONS - DEVICES):  # more outbox rows for both dispatchers
            hub.handle(commands.CreateOrder("replicas", f"C-{n}",
                                            [commands.NewLine("SKU", 1)], {"name": "x"}))
        return work
    finally:
        hub.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def received(self) -> float:
        """Pick confirmations this process took from the broker (its own counter)."""
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        except httpx.HTTPError:
            return 0.0
        match = re.search(r'fulfil_mqtt_messages_received_total\{type="pick_confirmed"\} (\S+)',
                          text)
        return float(match.group(1)) if match else 0.0


def start_replica(name: str, database_url: str, mqtt_url: str, site: str,
                  tmp_path: Path) -> Replica:
    port = free_port()
    env = {**os.environ, "FULFIL_DATABASE_URL": database_url, "FULFIL_MQTT_URL": mqtt_url,
           "FULFIL_SITE": site, "FULFIL_SHARE_GROUP": "hub"}
    log = tmp_path / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.entrypoints.cli", "serve", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return Replica(name, port, process, log)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def healthy(replica: Replica) -> bool:
    if replica.process.poll() is not None:
        raise AssertionError(f"{replica.name} exited:\n{replica.log.read_text()[-3000:]}")
    try:
        return httpx.get(f"http://127.0.0.1:{replica.port}/health", timeout=5).is_success
    except httpx.HTTPError:
        return False


@dataclass
class Devices:
    """Devices that send pick confirmations at a steady rate and resend whatever has not
    been acknowledged after ``RESEND_AFTER_S``, until everything is acked."""

    mqtt_url: str
    site: str
    work: list[Work]
    acked: set[str] = field(default_factory=set)
    sends: int = 0
    events: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _sent_at: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        for w in self.work:
            for seq in range(EVENTS_PER_DEVICE):
                event = wire.PickConfirmed(
                    device_id=w.device_id, boot_id="b1", seq=seq, task_id=w.task_id,
                    pick_id=w.pick_id, order_id=w.order_id, sku="SKU", location=w.location,
                    qty=1, method="scan")
                self.events[event.msg_id] = (
                    topics.event(self.site, w.device_id, "pick_confirmed"), encode(event))
        address = parse_broker_url(self.mqtt_url)
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"devices-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311)
        self.client.max_inflight_messages_set(200)
        self.client.on_message = self._on_ack
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        for w in self.work:
            self.client.subscribe(topics.ack(self.site, w.device_id), qos=1)
        time.sleep(0.3)  # let the SUBACKs land
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _on_ack(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        ids = wire.Ack.model_validate_json(msg.payload).msg_ids
        with self._lock:
            self.acked.update(i for i in ids if i in self.events)

    def _send(self, msg_id: str) -> None:
        topic, payload = self.events[msg_id]
        self.client.publish(topic, payload, qos=1)
        with self._lock:
            self.sends += 1
            self._sent_at[msg_id] = time.monotonic()

    def _run(self) -> None:
        # round-robin over the devices, as if each scanned in turn
        order = [msg_id for group in zip(*[list(self.events)[n::DEVICES]
                                           for n in range(DEVICES)], strict=True)
                 for msg_id in group]
        for msg_id in order:
            if self._stop.is_set():
                return
            self._send(msg_id)
            time.sleep(1 / RATE_PER_S)
        while not self._stop.is_set() and len(self.acked) < len(self.events):
            now = time.monotonic()
            with self._lock:
                due = [m for m, at in self._sent_at.items()
                       if m not in self.acked and now - at > RESEND_AFTER_S]
            for msg_id in due:
                self._send(msg_id)
            time.sleep(0.2)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def replicas(postgres_url: str, mosquitto_url: str, unique_site: str,
             tmp_path: Path) -> Iterator[list[Replica]]:
    started = [start_replica(name, postgres_url, mosquitto_url, unique_site, tmp_path)
               for name in ("hub-a", "hub-b")]
    yield started
    for replica in started:
        if replica.process.poll() is None:
            replica.process.send_signal(signal.SIGTERM)
    for replica in started:
        try:
            replica.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait(timeout=10)


@pytest.fixture
def work(postgres_url: str) -> list[Work]:
    return seed(postgres_url)  # migrated and seeded before any replica starts


def test_replicas_split_events_and_a_killed_one_loses_nothing(
        work: list[Work], replicas: list[Replica], postgres_url: str, mosquitto_url: str,
        unique_site: str) -> None:
    doomed, survivor = replicas
    for replica in replicas:
        wait_until(lambda r=replica: healthy(r), 90, f"{replica.name} answering /health")
    devices = Devices(mosquitto_url, unique_site, work)
    attempted = len(devices.events)
    try:
        devices.start()
        # mid-stream: both replicas have taken events and a share has been acked
        wait_until(lambda: doomed.received() > 0 and survivor.received() > 0
                   and len(devices.acked) >= attempted // 3, 60,
                   "both replicas handling events")
        acked_at_kill = len(devices.acked)
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=10)
        wait_until(lambda: len(devices.acked) == attempted, 120, "every event acknowledged")
    finally:
        devices.close()

    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        claimed = set(conn.scalars(select(orm.inbox.c.msg_id).where(
            orm.inbox.c.msg_id.in_(list(devices.events)))))
        picked = int(conn.scalar(select(func.sum(orm.picks.c.qty_picked))) or 0)
        movements = int(conn.scalar(select(func.count()).select_from(orm.stock_movements)
                                    .where(orm.stock_movements.c.kind == "pick")) or 0)
        on_hand = int(conn.scalar(select(func.sum(orm.stock_balances.c.on_hand))) or 0)
        outbox = conn.execute(select(orm.outbox.c.dispatched_at, orm.outbox.c.attempts)
                              .where(orm.outbox.c.kind == "notify")).all()
    engine.dispose()

    acknowledged = len(devices.acked)
    lost = len(devices.acked - claimed) + (attempted - len(claimed))
    duplicated = max(picked - len(claimed), movements - len(claimed), 0)
    print(f"\nattempted={attempted} sent(with resends)={devices.sends} "
          f"acknowledged={acknowledged} (at kill: {acked_at_kill}) lost={lost} "
          f"duplicated={duplicated} survivor received={survivor.received():.0f}")
    assert acked_at_kill < attempted, "the kill came after the stream had finished"
    assert acknowledged == attempted
    assert lost == 0 and claimed == set(devices.events)
    assert duplicated == 0 and picked == movements == attempted
    assert on_hand == DEVICES * 2 * EVENTS_PER_DEVICE - attempted
    # both dispatchers claimed confirmations side by side; each went out once
    assert len(outbox) == CONFIRMATIONS
    assert all(row.dispatched_at is not None and row.attempts == 1 for row in outbox)
