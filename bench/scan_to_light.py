"""Scan-to-light latency: N pick zones each scanning once a second, over Mosquitto, with the
hub (a `fulfil-hub serve` process) on PostgreSQL.

A zone agent lights the next slot itself once the hub has taken the scan; the hub's share of
the loop is the time from the scan event leaving the zone to the hub's acknowledgement
arriving back at it (inbox claim, stock consumption, ledger and timeline rows, commit, ack).
That is what is timed here, p50 and p99, after an untimed warm-up of 2 s. The baseline,
measured in the same run at the same rates, is a bare MQTT round trip on the same broker:
publish -> a subscriber that publishes it straight back -> the sender.

The broker is a Mosquitto of the bench's own, configured from the Ansible role's template
(as a site broker is deployed: ``set_tcp_nodelay true``, persistence, queue limits), on a free
port; ``--broker-port 1883`` uses a running one instead.

    python bench/scan_to_light.py [--zones 10 50 200] [--seconds 20] [--quick] [--broker-port N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import paho.mqtt.client as paho
import psycopg

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import encode
from hub.adapters.mqtt import no_delay
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.faults.broker import BrokerProcess

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SITE = "scanbench"
# Each zone scans this long, untimed, before the timed scans: a freshly started hub's first
# scans compile its statements and fill its caches (~0.25 s once), which is start-up, not the
# steady latency a picker sees.
WARM_UP_S = 2.0
BROKER = {"port": 1883}


def client(on_message: Callable[..., None] | None = None) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"scan-{uuid.uuid4().hex[:8]}",
                    protocol=paho.MQTTv311)
    c.max_inflight_messages_set(1000)
    if on_message is not None:
        c.on_message = on_message
    c.on_connect = lambda client, *_: no_delay(client)
    c.connect("127.0.0.1", BROKER["port"])
    c.loop_start()
    return c


def paced(zones: int, seconds: float, send: Callable[[int], None]) -> None:
    """Each zone sends once a second, the zones evenly staggered."""
    start = time.perf_counter()
    for n in range(int(zones * seconds)):
        delay = start + n / zones - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(n % zones)


def bare_round_trip(zones: int, seconds: float) -> list[float]:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    sent: dict[bytes, float] = {}
    took: list[float] = []

    def echo(c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        c.publish(msg.topic.replace("/ping", "/pong"), msg.payload, qos=1)

    def back(_c: object, _u: object, msg: paho.MQTTMessage) -> None:
        took.append(time.perf_counter() - sent.pop(msg.payload))

    echoer, sender = client(echo), client(back)
    echoer.subscribe(f"{prefix}/+/ping", qos=1)
    sender.subscribe(f"{prefix}/+/pong", qos=1)
    time.sleep(0.5)

    def send(zone: int) -> None:
        payload = uuid.uuid4().hex.encode() + b"x" * 250
        sent[payload] = time.perf_counter()
        sender.publish(f"{prefix}/zone-{zone}/ping", payload, qos=1)

    paced(zones, seconds, send)
    time.sleep(2)
    for c in (echoer, sender):
        c.disconnect()
        c.loop_stop()
    return took


def seed(url: str, zones: int, scans: int) -> list[tuple[str, str, str, str]]:
    """One released order per zone whose one pick needs ``scans`` scans; returns
    (task_id, pick_id, order_id, location) per zone."""
    hub = bootstrap(Settings(database_url=url, site=SITE))
    work = []
    try:
        hub.handle(commands.AddSku("SKU", "Bench item", "5012345678900", 100.0))
        for n in range(zones):
            location = f"Z{n:03d}-01-A"
            hub.handle(commands.AddLocation(location, f"Z{n:03d}", n))
            hub.handle(commands.ReceiveStock("SKU", location, scans))
            order_id, _ = hub.handle(commands.CreateOrder(
                "bench", f"S-{n}", [commands.NewLine("SKU", scans)], {"name": "x"}))
            hub.handle(commands.ReleaseOrder(order_id))
            with hub.uow() as uow:
                task = uow.repo.tasks_for_order(order_id)[0]
                work.append((task.id, task.picks[0].id, order_id, task.picks[0].location))
    finally:
        hub.stop()
    return work


def start_hub(url: str, logdir: Path) -> subprocess.Popen[bytes]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FULFIL_DATABASE_URL": url,
           "FULFIL_MQTT_URL": f"mqtt://127.0.0.1:{BROKER['port']}",
           "FULFIL_SITE": SITE}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.entrypoints.cli", "serve", "--port", str(port)],
        env=env, stdout=(logdir / "hub.log").open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the hub exited: " + (logdir / "hub.log").read_text()[-2000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the hub did not start")


def scan_to_ack(zones: int, seconds: float) -> list[float]:
    name = f"fulfil_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        work = seed(url, zones, int(seconds + WARM_UP_S) + 5)
        with tempfile.TemporaryDirectory() as logdir:
            hub = start_hub(url, Path(logdir))
            try:
                return _scan(work, zones, seconds)
            finally:
                hub.send_signal(signal.SIGTERM)
                hub.wait(timeout=30)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _scan(work: list[tuple[str, str, str, str]], zones: int, seconds: float) -> list[float]:
    sent: dict[str, float] = {}
    took: list[float] = []
    lock = threading.Lock()
    seqs = [0] * zones

    def on_ack(_c: object, _u: object, msg: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        with lock:
            for msg_id in wire.Ack.model_validate_json(msg.payload).msg_ids:
                if msg_id in sent:
                    took.append(now - sent.pop(msg_id))

    device = client(on_ack)
    device.subscribe(f"{topics.ROOT}/{SITE}/+/ack", qos=1)
    time.sleep(0.5)

    def send(zone: int, timed: bool = True) -> None:
        task_id, pick_id, order_id, location = work[zone]
        seqs[zone] += 1
        event = wire.PickConfirmed(device_id=f"zone-{zone}", boot_id="b", seq=seqs[zone],
                                   task_id=task_id, pick_id=pick_id, order_id=order_id,
                                   sku="SKU", location=location, qty=1, method="scan")
        payload = encode(event)
        if timed:
            with lock:
                sent[event.msg_id] = time.perf_counter()
        device.publish(topics.event(SITE, f"zone-{zone}", "pick_confirmed"), payload, qos=1)

    paced(zones, WARM_UP_S, lambda zone: send(zone, timed=False))
    paced(zones, seconds, send)
    deadline = time.monotonic() + 10
    while sent and time.monotonic() < deadline:
        time.sleep(0.1)
    device.disconnect()
    device.loop_stop()
    if sent:
        print(f"  ({len(sent)} scans of {zones} zones not acknowledged within 10 s)")
    return took


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seconds", type=float, default=20.0, help="scanning time per size")
    parser.add_argument("--quick", action="store_true", help="10 and 50 zones for 4 s")
    parser.add_argument("--broker-port", type=int, default=None,
                        help="use the Mosquitto already on this port instead of the bench's own")
    args = parser.parse_args()
    if args.quick:
        args.zones, args.seconds = [10, 50], 4.0
    with contextlib.ExitStack() as stack:
        if args.broker_port is None:
            broker = BrokerProcess(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            broker.start()
            stack.callback(broker.stop)
            BROKER["port"] = broker.port
            where = "the bench's Mosquitto (role template: set_tcp_nodelay true)"
        else:
            BROKER["port"] = args.broker_port
            where = f"the Mosquitto on port {args.broker_port}"
        report(args.zones, args.seconds, where)


def report(sizes: list[int], seconds: float, where: str) -> None:
    rows = []
    for zones in sizes:
        bare = bare_round_trip(zones, seconds)
        hub = scan_to_ack(zones, seconds)
        rows.append((zones, bare, hub))
    print(f"\nscan -> hub ack at the zone, PostgreSQL + {where}, {os.cpu_count()} cores, "
          f"each zone scanning once a second for {seconds:.0f} s, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'zones':>6}{'scans':>7}{'bare p50':>10}{'bare p99':>10}{'hub p50':>10}"
          f"{'hub p99':>10}{'p50 - bare':>12}{'p99 / bare':>12}   (ms)")
    for zones, bare, hub in rows:
        print(f"{zones:>6}{len(hub):>7}{ms(bare, 50):>10.2f}{ms(bare, 99):>10.2f}"
              f"{ms(hub, 50):>10.2f}{ms(hub, 99):>10.2f}{ms(hub, 50) - ms(bare, 50):>12.2f}"
              f"{ms(hub, 99) / ms(bare, 99):>12.1f}")


if __name__ == "__main__":
    main()
