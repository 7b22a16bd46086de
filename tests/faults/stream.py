"""A real hub process, real edge links with their SQLite outboxes, and a stream of device
events between them; the counts every fault test checks come from the hub's database.

Each event is a ``pick_confirmed`` of one unit against one big pick, so its effect is
countable: one inbox row, one ``pick`` row in the stock ledger and one unit less on hand and
reserved. An event is acknowledged when the hub's ack removed it from its device's outbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from edge.link import Link, LinkSettings
from edge.outbox import Outbox
from edge.wire import messages as wire
from hub.adapters import orm
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.faults.broker import free_port
from tests.faults.sizes import report

SKU, LOCATION = "FAULT-SKU", "A01-01-A"


@dataclass(frozen=True)
class Pick:
    order_id: str
    task_id: str
    pick_id: str
    units: int


def seed(database_url: str, site: str, units: int) -> Pick:
    """Migrate the database and release one order of ``units`` units: one pick to confirm."""
    hub = bootstrap(Settings(database_url=database_url, site=site, mqtt_url="mqtt://unused:1"))
    try:
        hub.handle(commands.AddSku(SKU, "Fault test item", "5012345678900", 100.0))
        hub.handle(commands.AddLocation(LOCATION, "A", 1))
        hub.handle(commands.ReceiveStock(SKU, LOCATION, units, ref="faults"))
        order_id, _ = hub.handle(commands.CreateOrder(
            "faults", f"F-{site}", [commands.NewLine(SKU, units)], {"name": "Fault test"}))
        hub.handle(commands.ReleaseOrder(order_id))
        with hub.uow() as uow:
            task = uow.repo.tasks_for_order(order_id)[0]
            return Pick(order_id, task.id, task.picks[0].id, units)
    finally:
        hub.stop()
        hub.engine.dispose()


class HubProcess:
    """``fulfil-hub serve`` as a child process: the real API, MQTT worker and dispatcher."""

    def __init__(self, root: Path, database_url: str, mqtt_url: str, site: str) -> None:
        self.env = {**os.environ, "FULFIL_DATABASE_URL": database_url,
                    "FULFIL_MQTT_URL": mqtt_url, "FULFIL_SITE": site}
        self.log = root / "hub.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> None:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub.entrypoints.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hub exited {self.proc.returncode}: "
                                     f"{self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health",
                             timeout=2).json().get("mqtt_connected"):
                    return
            time.sleep(0.2)
        raise AssertionError(f"hub not ready in {timeout} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Fleet:
    """Edge links (the agents' real MQTT link and outbox) that confirm picks at a set rate."""

    def __init__(self, root: Path, mqtt_url: str, site: str, devices: int,
                 keepalive_s: int = 15) -> None:
        self.links = [Link(LinkSettings(device_id=f"dev-{n}", site=site, mqtt_url=mqtt_url,
                                        keepalive_s=keepalive_s),
                           Outbox(root / f"dev-{n}.sqlite", synchronous="normal"))
                      for n in range(devices)]
        self.attempted: list[str] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.left: set[str] = set()

    def start(self, timeout: float = 30.0) -> None:
        for link in self.links:
            link.start()
        for link in self.links:
            assert link.wait_connected(timeout), f"{link.settings.device_id} did not connect"

    def stream(self, pick: Pick, events: int, rate: float) -> None:
        """Confirm ``events`` single units in a background thread, spread over the devices."""
        def run() -> None:
            started = time.monotonic()
            for n in range(events):
                if self._stop.is_set():
                    return
                link = self.links[n % len(self.links)]
                event = link.build(wire.PickConfirmed, task_id=pick.task_id,
                                   pick_id=pick.pick_id, order_id=pick.order_id, sku=SKU,
                                   location=LOCATION, qty=1, method="scan")
                link.enqueue([event])
                with self._lock:
                    self.attempted.append(event.msg_id)
                lag = started + (n + 1) / rate - time.monotonic()
                if lag > 0:
                    time.sleep(lag)

        self._thread = threading.Thread(target=run, name="event-stream", daemon=True)
        self._thread.start()

    def streamed(self) -> int:
        with self._lock:
            return len(self.attempted)

    def wait_streamed(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.streamed() < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def stream_done(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the event stream did not finish"

    def pending(self) -> set[str]:
        return {item.msg_id for link in self.links for item in link.outbox.pending()}

    def wait_drained(self, backlog: set[str], timeout: float) -> float:
        """Seconds until none of ``backlog`` is left in any outbox (acked by the hub)."""
        started = time.monotonic()
        while backlog & self.pending():
            if time.monotonic() - started > timeout:
                left = len(backlog & self.pending())
                raise AssertionError(f"{left} events not acked {timeout} s after recovery")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for link in self.links:
            link.stop()
        self.left = self.pending()  # what the outboxes still hold when the devices stop
        for link in self.links:
            link.outbox.close()


@dataclass(frozen=True)
class Counts:
    attempted: int
    acknowledged: int
    lost: int
    duplicated: int
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int


def count(database_url: str, pick: Pick, fleet: Fleet) -> Counts:
    """Compare what the (stopped) devices sent and had acked with what the hub's database
    holds."""
    attempted = set(fleet.attempted)
    acknowledged = attempted - fleet.left
    hub = bootstrap(Settings(database_url=database_url, mqtt_url="mqtt://unused:1"))
    try:
        with hub.uow(read_only=True) as uow:
            s = uow.session
            inbox = set(s.scalars(select(orm.inbox.c.msg_id).where(
                orm.inbox.c.type == "pick_confirmed")))
            m = orm.stock_movements.c
            picks = int(s.scalar(select(func.count()).where(
                m.kind == "pick", m.order_id == pick.order_id)) or 0)
            sums = dict(s.execute(select(m.kind, func.sum(m.qty)).where(
                m.sku == SKU, m.location == LOCATION).group_by(m.kind)).all())
            balance = uow.repo.balances(SKU)[0]
    finally:
        hub.stop()
        hub.engine.dispose()
    on_hand_kinds = ("receive", "adjust", "pick", "return")
    reserved_kinds = ("reserve", "pick", "release")
    return Counts(
        attempted=len(attempted), acknowledged=len(acknowledged),
        lost=len(acknowledged - inbox), duplicated=picks - len(inbox & attempted),
        on_hand=balance.on_hand, reserved=balance.reserved,
        ledger_on_hand=sum(int(sums.get(k) or 0) for k in on_hand_kinds),
        ledger_reserved=sum(int(sums.get(k) or 0) for k in reserved_kinds))


def check(name: str, counts: Counts, pick: Pick, **extra: object) -> None:
    """Print the counts, then hold the promises: nothing acked lost, no effect twice, every
    event acked in the end, and the stock ledger equal to the balance it explains."""
    report(name, attempted=counts.attempted, acknowledged=counts.acknowledged,
           lost=counts.lost, duplicated=counts.duplicated, **extra)
    assert counts.lost == 0
    assert counts.duplicated == 0
    assert counts.acknowledged == counts.attempted, "events left unacknowledged"
    expected = pick.units - counts.attempted
    assert (counts.on_hand, counts.reserved) == (expected, expected)
    assert (counts.ledger_on_hand, counts.ledger_reserved) == (counts.on_hand, counts.reserved)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started
