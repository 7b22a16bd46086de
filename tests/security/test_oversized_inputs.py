"""Oversized inputs are refused without reading them whole and without a memory blow-up:
a 10 MiB HTTP body gets 413 (declared length: before any byte of it is read; chunked: at the
cap), and a 1 MiB MQTT payload gets an error event from the hub's device worker."""

from __future__ import annotations

import gc
import json
import socket
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from edge.wire import topics
from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub, bootstrap
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.security.conftest import security_settings
from tests.support.mqtt_client import TestClient as MqttClient

MiB = 1024 * 1024


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    hub = bootstrap(security_settings(f"sqlite:///{tmp_path / 'hub.sqlite'}"))
    with hub.uow() as uow:
        key = create_key(uow, hub.ctx, "ops", ["ops"])
    server = ApiServer(create_app(hub), "127.0.0.1", free_port())
    server.start()
    yield server.url, key
    server.stop()
    hub.stop()


def _raw_request(url: str, head: str) -> bytes:
    """Send only the request head (no body) and read the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_declared_10_mib_body_is_refused_before_it_is_read(served: tuple[str, str]) -> None:
    url, key = served
    answer = _raw_request(url, f"POST /channels/csv HTTP/1.1\r\nHost: hub\r\nX-API-Key: {key}"
                               f"\r\nContent-Type: text/csv\r\nContent-Length: {10 * MiB}\r\n\r\n")
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["status"] == 413 and str(10 * MiB) in body["detail"]


def test_chunked_10_mib_body_is_cut_off_at_the_limit(served: tuple[str, str]) -> None:
    url, key = served
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(10 * 16):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)

    rss = psutil.Process()
    before = rss.memory_info().rss
    try:
        response = httpx.post(f"{url}/channels/csv", content=chunks(), timeout=60,
                              headers={"X-API-Key": key, "Content-Type": "text/csv"})
    except httpx.TransportError:
        pytest.fail("the server dropped the connection instead of answering 413")
    grown = (rss.memory_info().rss - before) / MiB
    print(f"chunked 10 MiB body: {response.status_code}, sent {sent / MiB:.1f} MiB, "
          f"RSS growth {grown:.1f} MiB")
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert grown < 200  # generous: the cap is 8 MiB, nothing near a multiple of it is kept


def test_the_limit_is_a_setting(tmp_path: Path) -> None:
    hub = bootstrap(security_settings(f"sqlite:///{tmp_path / 'hub.sqlite'}",
                                      api_max_body_bytes=4096))
    try:
        with hub.uow() as uow:
            key = create_key(uow, hub.ctx, "ops", ["ops"])
        with TestClient(create_app(hub)) as client:
            headers = {"X-API-Key": key, "Content-Type": "text/csv"}
            small = client.post("/channels/csv", content=b"order_ref\n", headers=headers)
            assert small.status_code == 422 and "lacks column" in small.json()["detail"]
            big = client.post("/channels/csv", content=b"x" * 5000, headers=headers)
            assert big.status_code == 413 and "4096" in big.json()["detail"]
    finally:
        hub.stop()


@pytest.mark.mosquitto
def test_1_mib_mqtt_payload_gets_an_error_event(mosquitto_url: str, tmp_path: Path) -> None:
    site = f"t{uuid.uuid4().hex[:10]}"
    hub: Hub = bootstrap(security_settings(f"sqlite:///{tmp_path / 'hub.sqlite'}",
                                           mqtt_url=mosquitto_url).model_copy(
        update={"site": site}), start_messaging=True)
    device = MqttClient(mosquitto_url, topics.device_subscriptions(site, "d1"))
    try:
        assert hub.mqtt is not None and hub.mqtt.connected.wait(10)
        payload = json.dumps({"v": 1, "type": "item_picked", "msg_id": "m" * 16,
                              "device_id": "d1", "pad": "x" * MiB}).encode()
        gc.collect()
        rss_before = psutil.Process().memory_info().rss
        tracemalloc.start()
        started = time.monotonic()
        device.publish(topics.event(site, "d1", "item_picked"), payload)
        error = device.expect("/error", timeout=30)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = (psutil.Process().memory_info().rss - rss_before) / MiB
        print(f"1 MiB MQTT payload: error event after {elapsed:.2f} s, Python peak "
              f"{peak / MiB:.1f} MiB, RSS growth {rss_growth:.1f} MiB")
        assert error["code"] == "invalid" and "exceeds" in error["reason"]
        assert error["ref_topic"] == topics.event(site, "d1", "item_picked")
        assert peak < 32 * MiB  # a few copies of the payload at most, never a parse of it
        assert rss_growth < 128
        assert hub.worker is not None and hub.worker.backlog() == 0
    finally:
        device.close()
        hub.stop()
