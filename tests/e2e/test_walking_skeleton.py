"""The hub and both agents as separate processes move orders from creation to a printed
label, on the embedded broker and Mosquitto, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.adapters.embedded_broker import free_port

pytestmark = pytest.mark.e2e

SLOTS = ["A01-01-A", "A01-02-A", "A02-01-A"]
SKUS = [("MUG", "Mug", "5012345678900", 340.0, "A01-01-A"),
        ("TEE", "T-shirt", "5012345678917", 180.0, "A01-02-A"),
        ("BOOK", "Book", "9780596158101", 420.0, "A02-01-A")]
ADDRESS = {"name": "Grace Hopper", "line1": "1 Navy Pier", "city": "Chicago",
           "postcode": "60611", "country": "US"}
EXPECTED = [(1, "order_received"), (2, "payment_confirmed"), (4, "order_recorded"),
            (5, "order_released"), (6, "item_picked"), (6, "order_picked"),
            (9, "stock_updated"), (12, "pack_verified"), (7, "shipping_booked"),
            (8, "tracking_recorded"), (11, "label_printed"), (12, "order_packed")]


def python(module_app: str, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", f"from {module_app} import app; app()", *args],
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(params=["embedded", "mosquitto"])
def broker(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("mosquitto_url") if request.param == "mosquitto" else None


@pytest.fixture
def running(tmp_path: Path, database_url: str, broker: str | None) -> Iterator[httpx.Client]:
    site, key, api_port = f"e2e{uuid.uuid4().hex[:8]}", f"k-{uuid.uuid4().hex}", free_port()
    env = {**os.environ, "FULFIL_DATABASE_URL": database_url, "FULFIL_SITE": site,
           "FULFIL_API_PORT": str(api_port), "FULFIL_BOOTSTRAP_API_KEY": key}
    broker_port = free_port()
    if broker:
        env["FULFIL_MQTT_URL"] = broker
    else:
        env.pop("FULFIL_MQTT_URL", None)
        env["FULFIL_EMBEDDED_BROKER_PORT"] = str(broker_port)
    hub = python("hub.entrypoints.cli", "serve", env=env, log=tmp_path / "hub.log")
    processes = [hub]
    client = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", headers={"X-API-Key": key},
                          timeout=10)
    try:
        wait_for(lambda: _healthy(client), 60, "the hub to serve", tmp_path / "hub.log")
        mqtt_url = broker or f"mqtt://127.0.0.1:{broker_port}"
        for role, device, slots in (("pick_zone", "zone-a", SLOTS), ("pack_bench", "bench-1", [])):
            args = ["simulate", "--role", role, "--device-id", device, "--site", site,
                    "--mqtt-url", mqtt_url, "--outbox", str(tmp_path / f"{device}.sqlite")]
            if slots:
                args += ["--slots", ",".join(slots)]
            processes.append(python("edge.cli", *args, env=env, log=tmp_path / f"{device}.log"))
        yield client
    finally:
        for process in reversed(processes):
            stop(process)
        for log in sorted(tmp_path.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def _healthy(client: httpx.Client) -> bool:
    try:
        return bool(client.get("/health").json()["mqtt_connected"])
    except httpx.HTTPError:
        return False


def wait_for(check, timeout: float, what: str, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_orders_flow_from_creation_to_label(running: httpx.Client) -> None:
    api = running
    for _sku, _name, _barcode, _weight, location in SKUS:
        api.post("/locations", json={"code": location, "zone": "A",
                                     "pick_sequence": SLOTS.index(location)}).raise_for_status()
    for sku, name, barcode, weight, location in SKUS:
        api.post("/skus", json={"sku": sku, "name": name, "barcode": barcode,
                                "unit_weight_g": weight}).raise_for_status()
        api.post("/stock/receive", json={"sku": sku, "location": location, "qty": 20}
                 ).raise_for_status()
    wait_for(lambda: {d["device_id"] for d in api.get("/devices").json()
                      if d["state"] == "online"} >= {"zone-a", "bench-1"}, 60, "devices")
    orders = {
        "E-1": [("MUG", 2)],
        "E-2": [("TEE", 1), ("BOOK", 1)],
        "E-3": [("BOOK", 2), ("MUG", 1), ("TEE", 3)],
    }
    ids = {}
    for ref, lines in orders.items():
        response = api.post("/orders", json={
            "channel": "web", "channel_ref": ref, "ship_to": ADDRESS,
            "lines": [{"sku": sku, "qty": qty} for sku, qty in lines]})
        assert response.status_code == 201
        ids[ref] = response.json()["id"]
        api.post(f"/orders/{ids[ref]}/release").raise_for_status()

    wait_for(lambda: all(api.get(f"/orders/{i}").json()["status"] == "labelled"
                         for i in ids.values()), 120, "every order to be labelled")

    for ref, order_id in ids.items():
        order = api.get(f"/orders/{order_id}").json()
        assert order["shipment"]["tracking_number"].endswith("GB")
        assert all(line["qty_picked"] == line["qty"] for line in order["lines"])
        timeline = api.get(f"/orders/{order_id}/timeline").json()
        seen = [(e["step"], e["name"]) for e in timeline if e["step"] != 3]
        collapsed = [key for n, key in enumerate(seen) if n == 0 or seen[n - 1] != key]
        assert collapsed == EXPECTED, ref
        item_picks = sum(e["details"]["qty"] for e in timeline if e["name"] == "item_picked")
        assert item_picks == sum(qty for _sku, qty in orders[ref])
        assert any(e["step"] == 3 for e in timeline)
        times = [e["at"] for e in timeline if e["step"] != 3]
        assert times == sorted(times), f"{ref}: timeline out of time order"
        assert all(e["outcome"] == "ok" for e in timeline)
    stock = {row["sku"]: row for row in api.get("/stock").json()}
    assert {sku: (row["on_hand"], row["reserved"]) for sku, row in stock.items()} == {
        "MUG": (17, 0), "TEE": (16, 0), "BOOK": (17, 0)}
