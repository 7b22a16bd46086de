"""Order ingest through the API: orders/s and latency, one order per request and in batches
(POST /orders/batch), against a `fulfil-hub serve` process on PostgreSQL.

The baseline, in the same run and over the same HTTP connection, is GET /health: what the
HTTP stack costs before any order work.

    python bench/order_ingest.py [--orders 2000] [--batch 100] [--quick]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psycopg

from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postcode": "SW1Y 4JH", "country": "GB"}


def order(ref: str) -> dict[str, object]:
    return {"channel": "web", "channel_ref": ref, "ship_to": ADDRESS, "total": "25.00",
            "lines": [{"sku": "TEE", "qty": 2, "unit_price": "12.50"},
                      {"sku": "MUG", "qty": 1, "unit_price": "8.00"}]}


def start_hub(url: str, key: str, logdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FULFIL_DATABASE_URL": url, "FULFIL_MQTT_URL": "mqtt://127.0.0.1:1883",
           "FULFIL_SITE": f"ingest{uuid.uuid4().hex[:6]}", "FULFIL_BOOTSTRAP_API_KEY": key}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.entrypoints.cli", "serve", "--port", str(port)],
        env=env, stdout=(logdir / "hub.log").open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the hub exited: " + (logdir / "hub.log").read_text()[-2000:])
        try:
            if httpx.get(f"{base}/health", timeout=5).is_success:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the hub did not start")


def timed(call: object, count: int) -> list[float]:
    took = []
    for n in range(count):
        start = time.perf_counter()
        call(n)  # type: ignore[operator]
        took.append(time.perf_counter() - start)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="200 orders")
    args = parser.parse_args()
    if args.quick:
        args.orders = 200
    name = f"fulfil_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    key = "ful_" + secrets.token_urlsafe(24)
    try:
        seeded = bootstrap(Settings(database_url=url))
        seeded.handle(commands.AddSku("TEE", "T-shirt", "5012345678917", 180.0))
        seeded.handle(commands.AddSku("MUG", "Mug", "5012345678900", 340.0))
        seeded.stop()
        with tempfile.TemporaryDirectory() as logdir:
            hub, base = start_hub(url, key, Path(logdir))
            try:
                rows = measure(base, key, args.orders, args.batch)
            finally:
                hub.send_signal(signal.SIGTERM)
                hub.wait(timeout=30)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    base_rate = rows[0][1]
    print(f"\n{args.orders} orders (2 lines each), PostgreSQL, {os.cpu_count()} cores, "
          "one client, one connection")
    print(f"{'what':<34}{'items/s':>10}{'vs /health':>12}{'p50 ms':>9}{'p99 ms':>9}")
    for what, rate, p50, p99 in rows:
        print(f"{what:<34}{rate:>10.0f}{rate / base_rate:>12.3f}{p50:>9.1f}{p99:>9.1f}")


def measure(base: str, key: str, count: int, batch: int) -> list[tuple[str, float, float, float]]:
    rows = []
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=120) as client:
        for n in range(20):  # warm up the connection and the hub's code paths
            client.get("/health").raise_for_status()
            client.post("/orders", json=order(f"warm-{n}")).raise_for_status()

        def health(_n: int) -> None:
            client.get("/health").raise_for_status()

        def single(n: int) -> None:
            client.post("/orders", json=order(f"S-{n}")).raise_for_status()

        def batched(n: int) -> None:
            orders = [order(f"B-{n}-{i}") for i in range(batch)]
            answer = client.post("/orders/batch", json={"orders": orders})
            answer.raise_for_status()
            assert answer.json()["created"] == batch, answer.text

        for what, call, requests, per_request in (
                ("GET /health (baseline)", health, count, 1),
                ("POST /orders (one per request)", single, count, 1),
                (f"POST /orders/batch ({batch} per request)", batched, count // batch, batch)):
            took = timed(call, requests)
            ms = np.array(took) * 1000
            rows.append((what, requests * per_request / sum(took),
                         float(np.percentile(ms, 50)), float(np.percentile(ms, 99))))
    return rows


if __name__ == "__main__":
    main()
