"""The dashboard in a real headless Chromium while a hub runs with simulated agents: the page
loads without a key (demo mode, localhost), charts render with the API's numbers, and a
device going offline shows on the open page. A screenshot is kept as an artefact."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.demo.runner import SEED, make_orders, seed_catalogue, start_agent, wait_for_devices
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.conftest import skip_or_fail
from tests.support.chromium import Browser, chromium_path

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        skip_or_fail("Chromium is not installed (apt-get install -y chromium)")
    assert executable is not None
    instance = Browser(executable)
    yield instance
    instance.close()


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[tuple[Hub, str, dict[str, subprocess.Popen[bytes]]]]:
    """A demo-mode hub on SQLite with its embedded broker, its API, and both agents."""
    site, key = f"d{uuid.uuid4().hex[:8]}", f"k-{uuid.uuid4().hex}"
    hub = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}", site=site,
                             embedded_broker_port=free_port(), bootstrap_api_key=key,
                             demo_mode=True), start_messaging=True)
    api = ApiServer(create_app(hub), "127.0.0.1", free_port())
    agents: dict[str, subprocess.Popen[bytes]] = {}
    try:
        api.start()
        seed = yaml.safe_load(SEED.read_text())
        client = httpx.Client(base_url=api.url, headers={"X-API-Key": key}, timeout=10)
        seed_catalogue(client, seed)
        slots = [loc["code"] for loc in seed["locations"]]
        agents["zone-a"] = start_agent("pick_zone", "zone-a", site, hub.mqtt_url or "",
                                       tmp_path, slots)
        agents["bench-1"] = start_agent("pack_bench", "bench-1", site, hub.mqtt_url or "",
                                        tmp_path, [])
        wait_for_devices(client, {"zone-a", "bench-1"}, 30)
        yield hub, api.url, agents
    finally:
        for agent in agents.values():
            agent.terminate()
        for agent in agents.values():
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
        api.stop()
        hub.stop()


def metric_values(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def online(metrics: dict[str, float], device_id: str) -> float:
    prefix = f'fulfil_device_online{{device_id="{device_id}",'
    return next(v for k, v in metrics.items() if k.startswith(prefix))


def _labelled(client: httpx.Client, order_ids: list[str]) -> bool:
    return all(client.get(f"/orders/{oid}").json()["status"] == "labelled" for oid in order_ids)


def test_dashboard_live_in_chromium(floor: tuple[Hub, str, dict[str, Any]], browser: Browser,
                                    tmp_path: Path) -> None:
    hub, url, agents = floor
    client = httpx.Client(base_url=url, headers={"X-API-Key": hub.settings.bootstrap_api_key
                                                 or ""}, timeout=10)
    browser.navigate(f"{url}/dashboard/")
    # demo mode on localhost: no key form, the views open and the stream is live
    browser.wait_for("document.getElementById('connection').dataset.state === 'live'")
    assert browser.evaluate("document.getElementById('key-form').hidden") is True
    assert browser.wait_for(
        "document.querySelector('[data-device=\"zone-a\"]')?.dataset.state") == "online"
    assert browser.wait_for(
        "document.querySelector('[data-device=\"bench-1\"] .periph')?.textContent") != ""

    seed = yaml.safe_load(SEED.read_text())
    order_ids, _ = make_orders(client, seed, 3, random.Random(3))
    for order_id in order_ids:
        client.post(f"/orders/{order_id}/release").raise_for_status()
    deadline = time.monotonic() + 90
    while not _labelled(client, order_ids):
        assert time.monotonic() < deadline, "orders did not finish"
        time.sleep(0.3)

    # the report arrives every 5 s: wait until the page shows the 3 labelled orders
    browser.wait_for("document.getElementById('pop-detail').textContent.includes('of 3')", 20)
    report = client.get("/analytics/report").json()
    assert browser.evaluate("document.getElementById('pop-value').textContent") == \
        f"{report['pop']['pop']:.1f} %"
    bars = browser.evaluate("document.querySelectorAll('#chart-steps rect').length")
    assert bars == 2 * min(8, len(report["steps"]))  # p50 and p90 bar per step shown
    widths = browser.evaluate("[...document.querySelectorAll('#chart-steps rect')]"
                              ".map(r => r.getBBox().width)")
    assert max(widths) > 50  # drawn, not zero-sized
    picked = next(s for s in report["steps"] if s["step"] == 6)
    row = browser.evaluate("[...document.querySelectorAll('#steps tr[data-step=\"6\"] td')]"
                           ".map(td => td.textContent)")
    assert row[2:5] == [str(picked["orders"]), f"{picked['p50_s']:.2f}",
                        f"{picked['p90_s']:.2f}"]

    metrics = metric_values(httpx.get(f"{url}/metrics").text)
    picks = sum(len(o["lines"]) for o in (client.get(f"/orders/{i}").json() for i in order_ids))
    assert metrics['fulfil_mqtt_messages_received_total{type="pick_confirmed"}'] >= picks
    assert metrics['fulfil_mqtt_messages_published_total{kind="command"}'] >= 2 * len(order_ids)
    assert metrics['fulfil_orders{state="labelled"}'] == len(order_ids)
    assert online(metrics, "zone-a") == 1

    # a device going away shows on the open page, without a reload
    agents["zone-a"].terminate()
    agents["zone-a"].wait(timeout=15)
    assert browser.wait_for(
        "document.querySelector('[data-device=\"zone-a\"]')?.dataset.state === 'offline'", 30)
    metrics = metric_values(httpx.get(f"{url}/metrics").text)
    assert online(metrics, "zone-a") == 0
    assert browser.evaluate("document.getElementById('connection').dataset.state") == "live"
    assert browser.console == []

    shot = browser.screenshot(tmp_path / "dashboard.png")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "dashboard.png")


def test_dashboard_asks_for_a_key_outside_demo_mode(sqlite_url: str, browser: Browser) -> None:
    hub = bootstrap(Settings(database_url=sqlite_url, site="t"))
    api = ApiServer(create_app(hub), "127.0.0.1", free_port())
    api.start()
    try:
        with hub.uow() as uow:
            key = create_key(uow, hub.ctx, "ops", ["ops"])
        browser.navigate(f"{api.url}/dashboard/")
        browser.wait_for("!document.getElementById('key-form').hidden")
        assert browser.evaluate("document.getElementById('views').hidden") is True
        browser.evaluate("document.getElementById('key-input').value = 'wrong';"
                         "document.querySelector('#key-form button').click()")
        assert "not known" in browser.wait_for(
            "document.getElementById('key-error').textContent")
        browser.evaluate(f"document.getElementById('key-input').value = '{key}';"
                         "document.querySelector('#key-form button').click()")
        browser.wait_for("document.getElementById('connection').dataset.state === 'live'")
        depth = browser.wait_for("document.getElementById('outbox-depth').textContent")
        assert depth.isdigit()  # the placeholder dash replaced by a figure from the stream
    finally:
        api.stop()
        hub.stop()


def test_floor_shows_current_waves_live(tmp_path: Path, browser: Browser) -> None:
    """A wave built through the API shows per zone on the open page, and its progress moves
    as the zone device confirms picks (fed to the hub directly: no agents needed)."""
    from edge.wire import messages as wire
    from edge.wire import topics
    from hub.domain import commands

    layout = tmp_path / "layout.yaml"
    layout.write_text("aisles: 2\nbays_per_block: 3\nlevels: 1\nzones: {A: [A01, A02]}\n")
    hub = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}", site="t",
                             layout_path=str(layout), demo_mode=True))
    api = ApiServer(create_app(hub), "127.0.0.1", free_port())
    api.start()
    try:
        with hub.uow() as uow:
            key = create_key(uow, hub.ctx, "ops", ["ops"])
        client = httpx.Client(base_url=api.url, headers={"X-API-Key": key}, timeout=10)
        seed_catalogue(client, yaml.safe_load(SEED.read_text()))
        status = wire.DeviceStatus(device_id="zone-a", boot_id="b", seq=0, state="online",
                                   bdseq=1, role="pick_zone", zone="A", locations=[])
        hub.handle(commands.DeviceMessage(topics.status("t", "zone-a"), status))
        order_ids, _ = make_orders(client, yaml.safe_load(SEED.read_text()), 2, random.Random(5))
        for order_id in order_ids:
            client.post(f"/orders/{order_id}/release").raise_for_status()
        wave = client.post("/waves", json={"totes": 4}).json()
        browser.navigate(f"{api.url}/dashboard/")
        selector = f"document.querySelector('[data-wave=\"{wave['id']}\"] [data-zone=\"A\"]')"
        text = browser.wait_for(f"{selector}?.textContent", 20)
        picks = wave["picks"]
        assert f"0/{picks} picks" in text
        (trip,) = wave["trip_list"]
        stop = trip["stops"][0]
        event = wire.PickConfirmed(device_id="zone-a", boot_id="b", seq=1, task_id=trip["id"],
                                   pick_id=stop["pick_id"], order_id=stop["order_id"],
                                   sku=stop["sku"], location=stop["location"], qty=stop["qty"],
                                   method="scan")
        hub.handle(commands.DeviceMessage(topics.event("t", "zone-a", "pick_confirmed"), event))
        assert browser.wait_for(f"{selector}?.textContent.includes('1/{picks} picks')", 20)
        assert browser.evaluate(
            f"document.querySelector('[data-wave=\"{wave['id']}\"]').dataset.state") == "picking"
        assert browser.console == []
    finally:
        api.stop()
        hub.stop()
