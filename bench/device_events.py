"""Device event throughput of one hub process, against the raw broker rate.

Publishes N pick confirmations (each: inbox claim + stock consumption + ledger row + timeline
row + ack, in one transaction) as fast as a device can, and times until every ack is back.
The baseline is the same client library's raw QoS 1 rate through the same broker
(publisher -> subscriber), measured in the same run. Both keep at most ``--window`` messages
outstanding (published, not yet received or acked), as a device's outbox does; more would
overflow the broker's per-client queue (Mosquitto's max_queued_messages, 1000) and be dropped.

    python bench/device_events.py --events 5000 [--database sqlite|postgres|both] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import paho.mqtt.client as paho
import psycopg

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import encode
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands

BROKER = ("127.0.0.1", 1883)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def client(name: str) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:6]}",
                    protocol=paho.MQTTv311)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect(*BROKER)
    c.loop_start()
    return c


WINDOW = 500


def raw_broker_rate(n: int, window: int = WINDOW) -> float:
    done = threading.Event()
    received = 0
    room = threading.Semaphore(window)
    topic = f"bench/{uuid.uuid4().hex}"

    def on_message(*_: object) -> None:
        nonlocal received
        received += 1
        room.release()
        if received == n:
            done.set()

    sub = client("sub")
    sub.on_message = on_message
    sub.subscribe(topic, qos=1)
    time.sleep(0.3)
    pub = client("pub")
    payload = b"x" * 300
    start = time.perf_counter()
    for _ in range(n):
        room.acquire()
        pub.publish(topic, payload, qos=1)
    done.wait(120)
    elapsed = time.perf_counter() - start
    for c in (sub, pub):
        c.disconnect()
        c.loop_stop()
    return received / elapsed


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    name = f"fulfil_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kind_of(url: str) -> str:
    return url.split(':', 1)[0].split('+')[0]


def hub_rate(url: str, n: int, window: int = WINDOW) -> float:
    site, device = f"bench{uuid.uuid4().hex[:6]}", "zone-bench"
    hub = bootstrap(Settings(database_url=url, mqtt_url=f"mqtt://{BROKER[0]}:{BROKER[1]}",
                             site=site), start_messaging=True)
    try:
        hub.handle(commands.AddSku("SKU", "Bench item", "5012345678900", 100.0))
        hub.handle(commands.AddLocation("A01-01-A", "A", 1))
        hub.handle(commands.ReceiveStock("SKU", "A01-01-A", n))
        order_id, _ = hub.handle(commands.CreateOrder(
            "bench", "B-1", [commands.NewLine("SKU", n)], {"name": "x"}))
        hub.handle(commands.ReleaseOrder(order_id))
        with hub.uow() as uow:
            task = uow.repo.tasks_for_order(order_id)[0]
            task_id, pick_id = task.id, task.picks[0].id
        acked: set[str] = set()
        done = threading.Event()
        room = threading.Semaphore(window)

        def on_message(_c: object, _u: object, msg: paho.MQTTMessage) -> None:
            if msg.topic.endswith("/ack"):
                new = set(wire.Ack.model_validate_json(msg.payload).msg_ids) - acked
                acked.update(new)
                for _ in new:
                    room.release()
                if len(acked) >= n:
                    done.set()

        dev = client("device")
        dev.on_message = on_message
        dev.subscribe(topics.ack(site, device), qos=1)
        time.sleep(0.3)
        events = [encode(wire.PickConfirmed(
            device_id=device, boot_id="b", seq=i, task_id=task_id, pick_id=pick_id,
            order_id=order_id, sku="SKU", location="A01-01-A", qty=1, method="scan"))
            for i in range(n)]
        topic = topics.event(site, device, "pick_confirmed")
        start = time.perf_counter()
        for payload in events:
            room.acquire()
            dev.publish(topic, payload, qos=1)
        done.wait(600)
        elapsed = time.perf_counter() - start
        dev.disconnect()
        dev.loop_stop()
        worker = hub.worker
        assert worker is not None
        print(f"  ({kind_of(url)}: {worker.handled} messages in {worker.batches} batches)")
        with hub.uow() as uow:
            row = uow.repo.balances("SKU")[0]
            assert (row.on_hand, row.reserved) == (n - len(acked), n - len(acked)), row
        return len(acked) / elapsed
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--window", type=int, default=WINDOW,
                        help="events outstanding (sent, not acked) at most")
    parser.add_argument("--quick", action="store_true", help="500 events (a smoke run)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.quick:
        args.events = 500
    raw = raw_broker_rate(args.events, args.window)
    print(f"{'what':<40}{'events/s':>12}{'vs raw broker':>16}")
    print(f"{'raw broker QoS1 pub->sub (baseline)':<40}{raw:>12.0f}{1.0:>16.2f}")
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for kind in kinds:
        with database(kind) as url:
            rate = hub_rate(url, args.events, args.window)
        print(f"{'hub, ' + kind + ' (inbox+effect+ack)':<40}{rate:>12.0f}{rate / raw:>16.3f}")


if __name__ == "__main__":
    main()
