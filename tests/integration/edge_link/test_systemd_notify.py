"""systemd Type=notify: READY=1 and WATCHDOG=1 over a real unix datagram socket.

The test plays systemd: it binds a unix datagram socket, starts ``fulfil-edge simulate``
with NOTIFY_SOCKET and WATCHDOG_USEC pointing at it, and reads what arrives. In-process, a
dead device loop makes the feeder withhold WATCHDOG=1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.systemd import SystemdNotifier, WatchdogFeeder, watchdog_interval

pytestmark = [pytest.mark.timeout(90)]


@pytest.fixture
def systemd_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(0.2)
    yield sock, path
    sock.close()


def receive(sock: socket.socket, until: float) -> list[str]:
    got = []
    while time.monotonic() < until:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    return got


def test_notifier_sends_one_datagram_per_call(systemd_socket: tuple[socket.socket, str]) -> None:
    sock, path = systemd_socket
    notifier = SystemdNotifier.from_env({"NOTIFY_SOCKET": path})
    assert notifier is not None
    assert notifier.notify("READY=1", "STATUS=up")
    assert sock.recv(4096) == b"READY=1\nSTATUS=up"
    notifier.close()
    assert SystemdNotifier.from_env({}) is None
    assert SystemdNotifier("@abstract-name").address == "\0abstract-name"


def test_watchdog_interval_from_env() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "4000000"}) == 2.0
    assert watchdog_interval({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "4000000",
                              "WATCHDOG_PID": str(os.getpid())}) == 2.0
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_feeding_stops_while_a_loop_is_dead(systemd_socket: tuple[socket.socket, str]) -> None:
    sock, path = systemd_socket
    dead: list[str] = []
    notifier = SystemdNotifier(path)
    feeder = WatchdogFeeder(notifier, 0.05, lambda: list(dead))
    feeder.start()
    try:
        assert "WATCHDOG=1" in receive(sock, time.monotonic() + 0.3)
        dead.append("bench-1-scale")
        receive(sock, time.monotonic() + 0.15)  # drain what was in flight
        withheld = receive(sock, time.monotonic() + 0.4)
        assert "WATCHDOG=1" not in withheld
        assert feeder.withheld >= 3
        dead.clear()
        back = receive(sock, time.monotonic() + 0.4)
        assert "STATUS=running" in back and "WATCHDOG=1" in back
    finally:
        feeder.stop()
        notifier.close()


@pytest.mark.mosquitto
def test_simulated_agent_is_ready_and_fed(systemd_socket: tuple[socket.socket, str],
                                          mosquitto_url: str, unique_site: str,
                                          tmp_path: Path) -> None:
    sock, path = systemd_socket
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}
    cmd = [sys.executable, "-m", "edge.cli", "simulate", "--role", "pack_bench",
           "--device-id", "bench-sd", "--site", unique_site, "--mqtt-url", mosquitto_url,
           "--outbox", str(tmp_path / "o.sqlite"), "--no-operator"]
    with (tmp_path / "agent.log").open("w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            got = receive(sock, time.monotonic() + 12)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        got += receive(sock, time.monotonic() + 0.5)
    ready = [m for m in got if "READY=1" in m]
    assert len(ready) == 1 and f"MAINPID={proc.pid}" in ready[0]
    first_ready = got.index(ready[0])
    feeds = [i for i, m in enumerate(got) if m == "WATCHDOG=1"]
    assert len(feeds) >= 10 and feeds[0] > first_ready  # every 0.2 s once ready
    assert got[-1] == "STOPPING=1"


@pytest.mark.mosquitto
def test_agent_reports_its_dead_loops(mosquitto_url: str, unique_site: str,
                                      tmp_path: Path) -> None:
    from edge.agent import Agent
    from edge.cli import simulated_config
    from edge.devices.factory import build_peripherals

    config = simulated_config("pack_bench", "bench-dl", unique_site, mosquitto_url, "",
                              tmp_path / "o.sqlite", operator=False)
    agent = Agent(config, build_peripherals(config))
    agent.start()
    try:
        assert agent.link.wait_connected(10)
        assert agent.dead_loops() == []
        scale = agent.peripherals.scale
        assert scale is not None
        scale.close()  # its polling loop ends: as if it had crashed
        assert agent.dead_loops() == [scale.name]
        scale.open()
        assert agent.dead_loops() == []
    finally:
        agent.stop()
    assert "agent-worker" in agent.dead_loops() and "link" in agent.dead_loops()
