"""SIGKILL a simulated pack bench again and again while it scans and weighs.

A hub double (a paho client) sends pack jobs, answers each pack_verified with a print_label
command, acks every event it receives and resends commands it has no command_ack for. The
bench runs as a real ``fulfil-edge simulate`` process with its simulated packer (scans with
mistakes, weights, labels) and is killed with SIGKILL 1.5-3 s after the run has labelled its
share of the orders (the kills are spread over the run). After each kill the
outbox file must pass ``PRAGMA integrity_check`` and every event it holds must reach the hub
in the end. At the end: no event the agent accepted is lost, every order is verified and
labelled exactly once (no duplicated effect), and redelivered msg_ids are flagged replays.
``run_agent_kills`` is also run at the issue's sizes by ``tests/faults/test_agent_kills.py``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.wire.messages import LabelData, PackJob, PackLine, PrintLabel
from tests.integration.edge_link.edge_hub_double import TestHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(240)]

DEVICE = "bench-k"
ORDERS = 6
KILLS = 5
ACK_DELAY_S = 0.8  # like a busy hub: events wait unacked in the outbox when the kill comes


class AckingHub:
    """Plays the hub's part of the protocol on top of TestHub, from its own thread."""

    def __init__(self, hub: TestHub) -> None:
        self.hub = hub
        self.commands: dict[str, tuple[PackJob | PrintLabel, float]] = {}
        self.acked_commands: set[str] = set()
        self.seen: Counter[str] = Counter()  # msg_id -> deliveries
        self.replays: set[str] = set()
        self.events: dict[str, dict[str, object]] = {}  # msg_id -> first payload
        self._done = 0
        self._unacked: list[tuple[float, str]] = []  # acks are held back ACK_DELAY_S
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="acking-hub", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def send(self, command: PackJob | PrintLabel) -> None:
        self.commands[command.command_id] = (command, time.monotonic())
        self.hub.command(DEVICE, command)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            with self.hub._cond:
                new = self.hub.messages[self._done:]
                self._done = len(self.hub.messages)
            for m in new:
                if "/evt/" not in m.topic or m.payload.get("device_id") != DEVICE:
                    continue
                msg_id = str(m.payload["msg_id"])
                self.seen[msg_id] += 1
                if self.seen[msg_id] > 1 and not m.payload.get("replay"):
                    self.replays.add(f"unflagged:{msg_id}")
                self.events.setdefault(msg_id, m.payload)
                self._unacked.append((time.monotonic(), msg_id))
                self._react(m.payload)
            now = time.monotonic()
            due = [msg_id for at, msg_id in self._unacked if now - at >= ACK_DELAY_S]
            if due:
                self._unacked = [(at, i) for at, i in self._unacked if now - at < ACK_DELAY_S]
                self.hub.ack(DEVICE, due)
            for command_id, (command, sent_at) in list(self.commands.items()):
                if command_id not in self.acked_commands and now - sent_at > 4.0:
                    self.send(command)

    def _react(self, payload: dict[str, object]) -> None:
        if payload["type"] == "command_ack":
            self.acked_commands.add(str(payload["command_id"]))
        elif payload["type"] == "pack_verified":
            order_id = str(payload["order_id"])
            if f"L-{order_id}" not in self.commands:
                self.send(PrintLabel(
                    **self.hub.envelope(), command_id=f"L-{order_id}", order_id=order_id,
                    shipment_id=f"S-{order_id}", label=LabelData(
                        order_ref=f"#{order_id}", ship_to=["A Customer", "1 Road"],
                        courier="DPD", service="Next day",
                        tracking_number=f"1550{order_id[-4:]:0>10}", weight_g=500.0)))

    def of_type(self, event_type: str) -> list[dict[str, object]]:
        return [p for p in self.events.values() if p["type"] == event_type]


def outbox_snapshot(path: Path) -> set[str]:
    """Integrity-check the dead agent's outbox and return the msg_ids it holds."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {row[0] for row in db.execute("SELECT msg_id FROM outbox")}
    finally:
        db.close()


@pytest.fixture
def acking_hub(hub: TestHub) -> Iterator[AckingHub]:
    a = AckingHub(hub)
    a.start()
    yield a
    a.stop()


@dataclass(frozen=True)
class KillCounts:
    kills: int
    orders: int
    events: int  # distinct events the hub received (and acked)
    lost: int  # accepted by the agent, never received; or orders never verified
    duplicated: int  # orders verified or labelled more than once
    accepted_at_kills: int
    redelivered: int
    confirmed_scans: int
    rejected_scans: int
    integrity_checks: int


def run_agent_kills(mosquitto_url: str, site: str, hub: TestHub, acking_hub: AckingHub,
                    tmp_path: Path, orders: int, kills: int) -> KillCounts:
    """Pack ``orders`` orders on a simulated bench killed ``kills`` times (spread over the
    run), check the outbox after every kill and everything the hub received at the end."""
    outbox = tmp_path / "bench.sqlite"
    cmd = [sys.executable, "-m", "edge.cli", "simulate", "--role", "pack_bench",
           "--device-id", DEVICE, "--site", site, "--mqtt-url", mosquitto_url,
           "--outbox", str(outbox), "--operator", "--think-time", "0.05",
           "--mistake-rate", "0.3"]
    rng = random.Random(7)
    accepted: set[str] = set()  # every msg_id ever seen stored in the outbox
    checks = 0
    log = (tmp_path / "agent.log").open("w")

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        births = len([m for m in hub.messages if m.topic.endswith(f"{DEVICE}/status")
                      and m.payload.get("state") == "online"])
        hub.wait_for(lambda m: m.topic.endswith(f"{DEVICE}/status")
                     and m.payload.get("state") == "online", 30, count=births + 1)
        return proc

    def labelled_at_least(count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(acking_hub.of_type("label_printed")) < count and time.monotonic() < deadline:
            time.sleep(0.2)

    proc = start()
    try:
        for i in range(orders):
            acking_hub.send(PackJob(
                **hub.envelope(), command_id=f"J-{i}", order_id=f"O{i:04d}",
                order_ref=f"ORD{i:04d}", packaging_g=100.0,
                lines=[PackLine(sku="MUG", barcode="5012345678900", qty=1 + i % 2,
                                unit_weight_g=350.0),
                       PackLine(sku="TEA", barcode="5012345678917", qty=1,
                                unit_weight_g=120.0)]))
        for k in range(kills):
            labelled_at_least(k * orders // (kills + 1), 120)  # kills spread over the run
            time.sleep(rng.uniform(1.5, 3.0))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            accepted |= outbox_snapshot(outbox)
            checks += 1
            proc = start()
        labelled_at_least(orders, 120 + orders)
        time.sleep(ACK_DELAY_S + 1.5)  # let the last acks land
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        log.close()
    left = outbox_snapshot(outbox)

    received = set(acking_hub.events)
    verified = Counter(str(p["order_id"]) for p in acking_hub.of_type("pack_verified"))
    labelled = Counter(str(p["order_id"]) for p in acking_hub.of_type("label_printed"))
    expected = {f"O{i:04d}": 1 for i in range(orders)}
    lost = len((accepted | left) - received) + len(set(expected) - set(verified))
    duplicated = sum(n - 1 for n in (*verified.values(), *labelled.values()))
    assert accepted - received == set(), "events accepted by the agent never reached the hub"
    assert left == set(), "events still waiting in the outbox after a clean stop"
    assert dict(verified) == expected, dict(verified)
    assert dict(labelled) == expected
    assert not [r for r in acking_hub.replays if r.startswith("unflagged:")]
    redelivered = [m for m, n in acking_hub.seen.items() if n > 1]
    # a verified order stands for its order scan and one good scan per unit
    confirmed = sum(1 + (1 + int(str(order_id)[1:]) % 2) + 1 for order_id in verified)
    return KillCounts(kills=kills, orders=orders, events=len(received), lost=lost,
                      duplicated=duplicated,
                      accepted_at_kills=len(accepted), redelivered=len(redelivered),
                      confirmed_scans=confirmed,
                      rejected_scans=len(acking_hub.of_type("scan_rejected")),
                      integrity_checks=checks + 1)


def test_kill_9_during_scans_and_weights_loses_and_doubles_nothing(
        mosquitto_url: str, unique_site: str, hub: TestHub, acking_hub: AckingHub,
        tmp_path: Path) -> None:
    counts = run_agent_kills(mosquitto_url, unique_site, hub, acking_hub, tmp_path,
                             ORDERS, KILLS)
    print(f"kills={counts.kills} events={counts.events} "
          f"accepted_in_outbox_at_kills={counts.accepted_at_kills} "
          f"redelivered_msg_ids={counts.redelivered} scan_rejected={counts.rejected_scans} "
          f"lost={counts.lost} duplicated_effects={counts.duplicated}")
