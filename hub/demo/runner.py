"""`fulfil-hub demo`: the hub with its embedded defaults, one pick zone and one pack bench on
simulated hardware, a few orders run from creation to a printed label."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from hub.adapters import orm
from hub.adapters.analytics_queries import promises
from hub.adapters.embedded_broker import free_port, port_is_free
from hub.analytics.report import build_report
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.demo.scale import route_figures, scaled_layout, scaled_seed
from hub.entrypoints.api.server import ApiServer

SEED = Path(__file__).with_name("seed.yaml")
DONE = "labelled"


@dataclass
class DemoOptions:
    orders: int = 6
    api_port: int = 8000
    broker_port: int = 1883
    database_url: str | None = None
    timeout_s: float | None = None  # None: scaled to the order count (default_timeout)
    workdir: Path | None = None
    seed: int = 7
    exit_after: bool = False
    mistake_rate: float = 0.0
    pick_zones: int = 1
    pack_benches: int = 1


def default_timeout(orders: int) -> float:
    """Three minutes plus 0.6 s an order: a 2000-order shift needs about ten minutes on two
    busy cores (measured 3.5 orders/s through 8 pack benches)."""
    return 180.0 + 0.6 * orders


def pick_port(console: Console, wanted: int, what: str) -> int:
    if port_is_free("127.0.0.1", wanted):
        return wanted
    port = free_port()
    console.print(f"[yellow]Port {wanted} is taken on 127.0.0.1; the {what} uses {port}.[/]")
    return port


def start_agent(role: str, device_id: str, site: str, mqtt_url: str, workdir: Path,
                slots: list[str], mistake_rate: float = 0.0) -> subprocess.Popen[bytes]:
    args = ["--role", role, "--device-id", device_id, "--site", site, "--mqtt-url", mqtt_url,
            "--outbox", str(workdir / f"{device_id}.outbox.sqlite"),
            "--mistake-rate", str(mistake_rate)]
    if slots:
        args += ["--slots", ",".join(slots)]
    log = (workdir / f"{device_id}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-c", "from edge.cli import app; app()", "simulate", *args],
        stdout=log, stderr=subprocess.STDOUT)


AGENTS_PER_PROCESS = 8


def start_fleets(devices: list[dict[str, Any]], mqtt_url: str, workdir: Path,
                 mistake_rate: float) -> list[subprocess.Popen[bytes]]:
    """Several simulated agents per process (see hub.demo.fleet), not one process each."""
    procs = []
    for n in range(0, len(devices), AGENTS_PER_PROCESS):
        spec = workdir / f"fleet-{n // AGENTS_PER_PROCESS}.json"
        spec.write_text(json.dumps({"site": "demo", "mqtt_url": mqtt_url,
                                    "mistake_rate": mistake_rate,
                                    "devices": devices[n:n + AGENTS_PER_PROCESS]}))
        log = (workdir / f"fleet-{n // AGENTS_PER_PROCESS}.log").open("ab")
        procs.append(subprocess.Popen([sys.executable, "-m", "hub.demo.fleet", str(spec)],
                                      stdout=log, stderr=subprocess.STDOUT))
    return procs


def seed_catalogue(client: httpx.Client, seed: dict[str, Any]) -> None:
    for loc in seed["locations"]:
        body = {**loc, "zone": loc.get("zone", seed.get("zone"))}
        client.post("/locations", json=body).raise_for_status()
    for item in seed["skus"]:
        body = {k: item[k] for k in ("sku", "name", "barcode", "unit_weight_g", "reorder_level")}
        client.post("/skus", json=body).raise_for_status()
        client.post("/stock/receive", json={"sku": item["sku"], "location": item["location"],
                                            "qty": item["stock"], "ref": "demo opening stock"}
                    ).raise_for_status()


def make_orders(client: httpx.Client, seed: dict[str, Any], count: int,
                rng: random.Random) -> tuple[list[str], list[list[str]]]:
    """Order ids, and per order the SKUs it asks for."""
    ids, skus = [], []
    for n in range(1, count + 1):
        items = rng.sample(seed["skus"], k=rng.randint(1, 3))
        body = {
            "channel": rng.choice(["shopify", "woocommerce", "phone"]),
            "channel_ref": f"DEMO-{n:04d}",
            "lines": [{"sku": item["sku"], "qty": rng.randint(1, 2), "unit_price": "9.99"}
                      for item in items],
            "ship_to": rng.choice(seed["customers"]),
            "customer_email": f"customer{n}@example.com",
            "total": "19.98",
        }
        response = client.post("/orders", json=body)
        response.raise_for_status()
        ids.append(response.json()["id"])
        skus.append([item["sku"] for item in items])
    return ids, skus


def wait_for_devices(client: httpx.Client, device_ids: set[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        online = {d["device_id"] for d in client.get("/devices").json() if d["state"] == "online"}
        if device_ids <= online:
            return
        time.sleep(0.2)
    raise TimeoutError(f"devices {sorted(device_ids)} did not come online")


def summary(console: Console, hub: Hub, order_ids: list[str], elapsed: float) -> None:
    with hub.uow() as uow:
        events = [e for oid in order_ids for e in uow.repo.timeline(oid)]
        statuses = [uow.repo.get_order(oid).status for oid in order_ids]  # type: ignore[union-attr]
        promised = promises(uow.session)
    done = statuses.count(DONE)
    console.print(f"\n[bold]{done} of {len(order_ids)} orders packed with a label printed "
                  f"in {elapsed:.1f} s[/]")
    report = build_report(events, promised)  # the same figures as /analytics and the dashboard
    table = Table(title="Time per step (derived from the order timelines)")
    for column in ("step", "what", "orders", "p50 s", "p90 s", "p99 s", "queue p50 s",
                   "work p50 s"):
        table.add_column(column, justify="right" if column != "what" else "left")
    for row in report.steps:
        table.add_row(str(int(row.step)), row.title, str(row.orders), f"{row.p50_s:.2f}",
                      f"{row.p90_s:.2f}", f"{row.p99_s:.2f}", f"{row.queue_p50_s:.2f}",
                      f"{row.work_p50_s:.2f}")
    console.print(table)
    pop = report.pop
    causes = ", ".join(f"{cause} {n}" for cause, n in pop.causes.items()) or "none"
    console.print(f"[bold]Perfect Order Percentage: {pop.pop:.1f} %[/] ({pop.perfect} of "
                  f"{pop.orders} orders; causes: {causes})")
    for verdict in report.imperfect:
        console.print(f"  {verdict.order_id}: {'; '.join(verdict.reasons)}")
    for error in report.errors[:5]:
        console.print(f"Mistakes at step {int(error.step)} ({error.title}): {error.kind} "
                      f"x{error.count}, {error.cost_s:.1f} s")
    for skip in (row for row in report.skipped if row.orders):
        console.print(f"Skipped: {skip.description}: {skip.orders} order(s)")


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    console = console or Console()
    seed = yaml.safe_load(SEED.read_text())
    scaled = options.pick_zones > 1 or options.pack_benches > 1
    if scaled:
        seed = scaled_seed(seed, options.pick_zones, options.orders)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="fulfil-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    from hub import logs

    logs.configure(file=workdir / "hub.log")
    broker_port = pick_port(console, options.broker_port, "embedded MQTT broker")
    api_port = pick_port(console, options.api_port, "API")
    key = f"demo-{random.Random().getrandbits(64):016x}"
    settings = Settings(database_url=options.database_url or f"sqlite:///{workdir}/hub.sqlite",
                        mqtt_url=None, embedded_broker_port=broker_port, site="demo",
                        api_port=api_port, bootstrap_api_key=key, demo_mode=True)
    hub = bootstrap(settings, start_messaging=True)
    from hub.entrypoints.api.app import create_app

    api = ApiServer(create_app(hub), "127.0.0.1", api_port)
    agents: list[subprocess.Popen[bytes]] = []
    try:
        api.start()
        console.print(f"Hub API on http://127.0.0.1:{api_port}/docs (API key: {key})\n"
                      f"Dashboard on http://127.0.0.1:{api_port}/dashboard/\n"
                      f"MQTT broker {hub.mqtt_url}; logs in {workdir}")
        client = httpx.Client(base_url=f"http://127.0.0.1:{api_port}",
                              headers={"X-API-Key": key}, timeout=10)
        seed_catalogue(client, seed)
        mqtt_url = hub.mqtt_url or ""
        if scaled:
            devices = [{"role": "pick_zone", "device_id": f"zone-{zone.lower()}", "slots": codes,
                        "outbox": str(workdir / f"zone-{zone.lower()}.outbox.sqlite")}
                       for zone, codes in seed["zones"].items()]
            devices += [{"role": "pack_bench", "device_id": f"bench-{n}",
                         "outbox": str(workdir / f"bench-{n}.outbox.sqlite")}
                        for n in range(1, options.pack_benches + 1)]
            agents = start_fleets(devices, mqtt_url, workdir, options.mistake_rate)
            wait_for_devices(client, {d["device_id"] for d in devices}, 120)
        else:
            slots = [loc["code"] for loc in seed["locations"]]
            agents = [start_agent("pick_zone", "zone-a", "demo", mqtt_url, workdir, slots,
                                  options.mistake_rate),
                      start_agent("pack_bench", "bench-1", "demo", mqtt_url, workdir, [],
                                  options.mistake_rate)]
            wait_for_devices(client, {"zone-a", "bench-1"}, 30)
        started = time.monotonic()
        rng = random.Random(options.seed)
        order_ids, lines = make_orders(client, seed, options.orders, rng)
        for order_id in order_ids:
            client.post(f"/orders/{order_id}/release").raise_for_status()
        timeout = (default_timeout(len(order_ids)) if options.timeout_s is None
                   else options.timeout_s)
        finished = track(console, hub, order_ids, timeout)
        elapsed = time.monotonic() - started
        summary(console, hub, order_ids, elapsed)
        if scaled:
            shift_figures(console, seed, lines, len(order_ids) if finished else
                          labelled(hub, order_ids), elapsed, options.pick_zones)
        if not options.exit_after:
            console.print("Serving; press Ctrl-C to stop.")
            while all(agent.poll() is None for agent in agents):
                time.sleep(0.5)
        return 0 if finished else 1
    except KeyboardInterrupt:
        return 0
    finally:
        for agent in agents:
            agent.terminate()
        for agent in agents:
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
        api.stop()
        hub.stop()


def track(console: Console, hub: Hub, order_ids: list[str], timeout_s: float) -> bool:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    deadline = time.monotonic() + timeout_s
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("Orders packed and labelled", total=len(order_ids))
        while time.monotonic() < deadline:
            done = labelled(hub, order_ids)
            progress.update(bar, completed=done)
            if done == len(order_ids):
                return True
            time.sleep(0.3)
    console.print(f"[red]Not every order finished within {timeout_s:.0f} s (--timeout); "
                  "see the logs.[/]")
    return False


def labelled(hub: Hub, order_ids: list[str]) -> int:
    """How many of these orders are labelled: one query (the demo's hub runs in this
    process), not a request per order that would take the hub's CPU from the shift."""
    o = orm.orders.c
    with hub.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(orm.orders).where(
            o.id.in_(order_ids), o.status == DONE)) or 0)


def shift_figures(console: Console, seed: dict[str, Any], lines: list[list[str]], done: int,
                  elapsed: float, zones: int) -> None:
    """Orders/hour and route metres (hub routing vs S-shape for the same per-zone picks)."""
    location_of = {item["sku"]: item["location"] for item in seed["skus"]}
    zone_of = {loc["code"]: loc["zone"] for loc in seed["locations"]}
    trips: list[list[str]] = []
    for skus in lines:
        by_zone: dict[str, list[str]] = {}
        for sku in skus:
            by_zone.setdefault(zone_of[location_of[sku]], []).append(location_of[sku])
        trips += by_zone.values()
    routed, s_shape = route_figures(scaled_layout(zones), trips)
    saved = 100 * (1 - routed / s_shape) if s_shape else 0.0
    console.print(f"[bold]Throughput: {3600 * done / elapsed:.0f} orders/hour[/] "
                  f"({done} orders in {elapsed:.1f} s)")
    console.print(f"[bold]Route distance: {routed:.0f} m walked vs {s_shape:.0f} m S-shape "
                  f"for the same {len(trips)} zone picks ({saved:.1f} % saved)[/]")
