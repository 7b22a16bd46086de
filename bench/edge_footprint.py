"""Edge agent footprint: idle RSS, idle CPU and scan-to-publish latency on loopback.

Run from the worktree root with Mosquitto on 127.0.0.1:1883::

    python bench/edge_footprint.py [--mqtt-url mqtt://127.0.0.1:1883] [--scans 500]

1. Idle footprint: a real ``fulfil-edge simulate --role pack_bench --no-operator`` process
   (scanner, MT-SICS scale polled every 200 ms over a pty, printer); after it settles, RSS
   from /proc/<pid>/status and CPU % of one core from /proc/<pid>/stat over a window.
2. Scan-to-publish: an in-process pack bench agent; each scan is injected as evdev key
   events through the scanner replay, decoded by the real driver, handled by the state
   machine (an unknown barcode -> scan_rejected event), written to the SQLite outbox and
   published; a separate paho subscriber on the broker timestamps its arrival.
3. Baseline in the same run: a bare paho QoS 1 publish -> the same subscriber, same broker.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.wire import topics  # noqa: E402
from edge.wire.broker_url import parse_broker_url  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def idle_footprint(url: str, settle_s: float, window_s: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "edge.cli", "simulate", "--role", "pack_bench",
               "--device-id", "bench-footprint", "--site", f"bench-{uuid.uuid4().hex[:6]}",
               "--mqtt-url", url, "--outbox", f"{tmp}/outbox.sqlite", "--no-operator"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(settle_s)
            if proc.poll() is not None:
                raise SystemExit("the agent exited; is Mosquitto running?")
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(window_s)
            c1, t1 = cpu_seconds(proc.pid), time.monotonic()
            return rss_mb(proc.pid), 100 * (c1 - c0) / (t1 - t0)
        finally:
            proc.terminate()
            proc.wait(15)


class Subscriber:
    def __init__(self, url: str, topic: str) -> None:
        addr = parse_broker_url(url)
        self.arrivals: dict[str, float] = {}
        self._cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311,
                                  client_id=f"bench-sub-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        ready = threading.Event()
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.connect(addr.host, addr.port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        if not ready.wait(5):
            raise SystemExit("cannot subscribe")

    def _on_message(self, client: object, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        key = json.loads(msg.payload).get("barcode") or json.loads(msg.payload).get("n")
        with self._cond:
            self.arrivals.setdefault(str(key), now)
            self._cond.notify_all()

    def wait(self, key: str, timeout: float = 5.0) -> float:
        deadline = time.monotonic() + timeout
        with self._cond:
            while key not in self.arrivals:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"message {key} never arrived")
                self._cond.wait(left)
            return self.arrivals[key]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[98]


def agent_latency(url: str, scans: int, sync: str = "full") -> list[float]:
    from edge.agent import Agent
    from edge.cli import simulated_config
    from edge.devices.factory import build_peripherals

    site = f"bench-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp:
        config = simulated_config("pack_bench", "bench-lat", site, url, "",
                                  Path(tmp) / "outbox.sqlite", operator=False)
        config = config.model_copy(update={"outbox_sync": sync})
        agent = Agent(config, build_peripherals(config))
        sub = Subscriber(url, topics.event(site, "bench-lat", "+"))
        agent.start()
        try:
            if not agent.link.wait_connected(10):
                raise SystemExit("agent could not connect")
            replay = agent.peripherals.sim.scanner  # type: ignore[attr-defined]
            replay.key_interval_s = 0.0
            out = []
            for i in range(scans + 20):
                code = f"NOSUCH{i:06d}"
                t0 = time.perf_counter()
                replay.type_barcode(code)  # the whole scan's key events, as the device sends
                arrived = sub.wait(code)
                if i >= 20:  # warm-up
                    out.append(arrived - t0)
                time.sleep(0.005)
            return out
        finally:
            agent.stop()
            sub.close()


def paho_baseline(url: str, count: int) -> list[float]:
    addr = parse_broker_url(url)
    topic = f"fulfil/bench-{uuid.uuid4().hex[:6]}/baseline"
    sub = Subscriber(url, topic)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    pub.connect(addr.host, addr.port)
    pub.loop_start()
    out = []
    try:
        for i in range(count + 20):
            payload = json.dumps({"n": i, "pad": "x" * 300}).encode()
            t0 = time.perf_counter()
            pub.publish(topic, payload, qos=1)
            arrived = sub.wait(str(i))
            if i >= 20:
                out.append(arrived - t0)
            time.sleep(0.005)
        return out
    finally:
        pub.disconnect()
        pub.loop_stop()
        sub.close()


def outbox_commit(count: int) -> list[float]:
    """One event + state committed the way the agent does it (WAL, synchronous=FULL)."""
    from edge.outbox import Outbox, OutboxItem

    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite")
        out = []
        for i in range(count):
            t0 = time.perf_counter()
            outbox.add([OutboxItem(f"m{i}", "t", "x" * 300)], {"state": "y" * 500})
            out.append(time.perf_counter() - t0)
        outbox.close()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--scans", type=int, default=500)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    import logging

    import structlog
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    rss, cpu = idle_footprint(args.mqtt_url, args.settle, args.window)
    print(f"idle agent (pack bench, simulated scanner+scale+printer): RSS {rss:.1f} MB, "
          f"CPU {cpu:.2f} % of one core over {args.window:.0f} s")
    baseline = paho_baseline(args.mqtt_url, args.scans)
    latency = agent_latency(args.mqtt_url, args.scans)
    latency_normal = agent_latency(args.mqtt_url, args.scans, "normal")
    b50, b99 = percentiles(baseline)
    a50, a99 = percentiles(latency)
    n50, n99 = percentiles(latency_normal)
    print(f"baseline bare paho publish->receive (n={len(baseline)}): "
          f"p50 {b50 * 1000:.2f} ms, p99 {b99 * 1000:.2f} ms")
    print(f"scan->publish->receive via agent, outbox_sync=full (n={len(latency)}): "
          f"p50 {a50 * 1000:.2f} ms, p99 {a99 * 1000:.2f} ms")
    print(f"  same, outbox_sync=normal (no fsync)  (n={len(latency_normal)}): "
          f"p50 {n50 * 1000:.2f} ms, p99 {n99 * 1000:.2f} ms")
    c50, c99 = percentiles(outbox_commit(args.scans))
    print(f"of which outbox commit (SQLite WAL, synchronous=FULL, fsync): "
          f"p50 {c50 * 1000:.2f} ms, p99 {c99 * 1000:.2f} ms")
    print(f"agent overhead: p50 x{a50 / b50:.1f} (+{(a50 - b50) * 1000:.2f} ms), "
          f"p99 x{a99 / b99:.1f} (+{(a99 - b99) * 1000:.2f} ms)")
    print(f"targets: RSS < 60 MB {'met' if rss < 60 else 'MISSED'}; idle CPU < 2 % "
          f"{'met' if cpu < 2 else 'MISSED'}; p99 < 10 ms: full "
          f"{'met' if a99 < 0.010 else 'MISSED'}, normal {'met' if n99 < 0.010 else 'MISSED'}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
