"""Device events/s with 1, 2 and 3 hub replicas sharing one PostgreSQL and one Mosquitto.

Each replica is a `fulfil-hub serve` process subscribed through the shared subscription
group ``hub`` (FULFIL_SHARE_GROUP), so the broker hands each event to one of them. Several
devices send pick confirmations (one order each) keeping at most ``--window`` events
outstanding; the time runs until every event is acknowledged. The baseline is one replica
in the same run.

    python bench/replicas.py [--replicas 1 2 3] [--devices 8] [--events 4000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import psycopg

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import encode
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands

BROKER = "mqtt://127.0.0.1:1883"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def create_database() -> str:
    name = f"fulfil_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, devices: int, per_device: int) -> list[tuple[str, bytes]]:
    """One released order per device; returns the (topic, payload) of every event, the
    devices' events interleaved as if they scanned side by side."""
    site = "bench"
    hub = bootstrap(Settings(database_url=url, site=site))
    per_device_events: list[list[tuple[str, bytes]]] = []
    try:
        hub.handle(commands.AddSku("SKU", "Bench item", "5012345678900", 100.0))
        for n in range(devices):
            location = f"A{n:02d}-01-A"
            hub.handle(commands.AddLocation(location, "A", n))
            hub.handle(commands.ReceiveStock("SKU", location, per_device))
            order_id, _ = hub.handle(commands.CreateOrder(
                "bench", f"B-{n}", [commands.NewLine("SKU", per_device)], {"name": "x"}))
            hub.handle(commands.ReleaseOrder(order_id))
            with hub.uow() as uow:
                task = uow.repo.tasks_for_order(order_id)[0]
                pick = task.picks[0]
                device = f"zone-{n}"
                per_device_events.append([
                    (topics.event(site, device, "pick_confirmed"), encode(wire.PickConfirmed(
                        device_id=device, boot_id="b", seq=i, task_id=task.id,
                        pick_id=pick.id, order_id=order_id, sku="SKU",
                        location=pick.location, qty=1, method="scan")))
                    for i in range(per_device)])
    finally:
        hub.stop()
    return [event for group in zip(*per_device_events, strict=True) for event in group]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_replicas(count: int, url: str, logdir: Path) -> list[subprocess.Popen[bytes]]:
    processes = []
    for n in range(count):
        port = free_port()
        env = {**os.environ, "FULFIL_DATABASE_URL": url, "FULFIL_MQTT_URL": BROKER,
               "FULFIL_SITE": "bench", "FULFIL_SHARE_GROUP": "hub"}
        log = (logdir / f"replica-{n}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.entrypoints.cli", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"replica {n} exited; see {logdir}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        processes.append(process)
    time.sleep(0.5)  # let the last SUBACKs land
    return processes


def stop_replicas(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def stream(events: list[tuple[str, bytes]], devices: int, window: int) -> tuple[float, int]:
    """Send every event keeping at most ``window`` unacknowledged, and resend what stays
    unacknowledged for 3 s, as a device's outbox does (a replica's transaction can lose a
    deadlock against another's and is then not acked); (events/s until all acked, resends)."""
    acked: set[str] = set()
    sent_at: dict[str, tuple[float, str, bytes]] = {}
    resends = 0
    room = threading.Semaphore(window)
    done = threading.Event()
    lock = threading.Lock()

    def on_message(_c: object, _u: object, msg: paho.MQTTMessage) -> None:
        ids = set(wire.Ack.model_validate_json(msg.payload).msg_ids)
        with lock:
            new = ids - acked
            acked.update(new)
            if len(acked) >= len(events):
                done.set()
        for _ in new:
            room.release()

    client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                         client_id=f"bench-{uuid.uuid4().hex[:6]}", protocol=paho.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.on_message = on_message
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    for n in range(devices):
        client.subscribe(topics.ack("bench", f"zone-{n}"), qos=1)
    time.sleep(0.5)
    start = time.perf_counter()
    def resend_overdue() -> None:
        nonlocal resends
        while not done.wait(1.0):
            now = time.perf_counter()
            with lock:
                overdue = [(m, t, p) for m, (at, t, p) in sent_at.items()
                           if m not in acked and now - at > 3.0]
            for msg_id, topic, payload in overdue:
                with lock:
                    sent_at[msg_id] = (time.perf_counter(), topic, payload)
                client.publish(topic, payload, qos=1)
                resends += 1

    resender = threading.Thread(target=resend_overdue, daemon=True)
    resender.start()
    for topic, payload in events:
        room.acquire()
        msg_id = json.loads(payload)["msg_id"]
        with lock:
            sent_at[msg_id] = (time.perf_counter(), topic, payload)
        client.publish(topic, payload, qos=1)
    finished = done.wait(600)
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    if not finished:
        raise RuntimeError(f"only {len(acked)} of {len(events)} events acknowledged")
    resender.join(timeout=5)
    return len(events) / elapsed, resends


def run(count: int, devices: int, per_device: int, window: int) -> tuple[float, int]:
    name = create_database()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        events = seed(url, devices, per_device)
        with tempfile.TemporaryDirectory() as logdir:
            processes = start_replicas(count, url, Path(logdir))
            try:
                return stream(events, devices, window)
            finally:
                stop_replicas(processes)
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--events", type=int, default=4000, help="in total, over all devices")
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="400 events, 1 and 2 replicas")
    args = parser.parse_args()
    if args.quick:
        args.events, args.replicas = 400, [1, 2]
    per_device = args.events // args.devices
    cores = os.cpu_count()
    runs = {n: run(n, args.devices, per_device, args.window) for n in args.replicas}
    base = runs[args.replicas[0]][0]
    print(f"\n{args.devices * per_device} pick confirmations from {args.devices} devices, "
          f"PostgreSQL + Mosquitto, {cores} cores")
    print(f"{'hub replicas':<16}{'events/s':>12}{'vs ' + str(args.replicas[0]) + ' replica':>16}"
          f"{'resent':>10}")
    for n, (rate, resends) in runs.items():
        print(f"{n:<16}{rate:>12.0f}{rate / base:>16.2f}{resends:>10}")
    print("Every replica, PostgreSQL and Mosquitto share the same cores here: a second "
          "replica only helps while one leaves CPU idle, so the curve flattens once the "
          f"{cores} cores are busy.")


if __name__ == "__main__":
    main()
