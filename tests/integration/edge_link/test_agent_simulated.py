"""An agent on simulated devices, worked by the simulated operator, against a test hub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.cli import simulated_config
from edge.config import AgentConfig
from edge.devices.factory import build_peripherals
from edge.sim.gpio_mock import lit_slots
from edge.wire.messages import LabelData, PackJob, PackLine, PickLine, PickTask, PrintLabel
from tests.integration.edge_link.edge_hub_double import Received, TestHub
from tests.integration.edge_link.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(90)]

SLOTS = "A01-01-A,A01-02-A,A01-03-A"


@pytest.fixture
def run_agent(mosquitto_url: str, unique_site: str,
              tmp_path: Path) -> Iterator[Callable[..., Agent]]:
    agents: list[Agent] = []

    def start(role: str, device_id: str, operator: bool = True, **options: float) -> Agent:
        config = simulated_config(role, device_id, unique_site, mosquitto_url, SLOTS,
                                  tmp_path / f"{device_id}.sqlite", operator)
        agent = Agent(config, build_peripherals(config), resend_after_s=2.0,
                      operator_options={"think_s": 0.05, **options})
        agent.start()
        agents.append(agent)
        assert agent.link.wait_connected(10)
        return agent

    yield start
    for agent in agents:
        agent.stop()


def acking(hub: TestHub, device_id: str, event_type: str, count: int = 1,
           timeout: float = 30.0) -> list[Received]:
    """Wait for events of one type and ack them as the hub would."""
    found = hub.wait_for(lambda m: m.payload.get("type") == event_type
                         and m.payload["device_id"] == device_id, timeout, count)
    hub.ack(device_id, sorted({m.payload["msg_id"] for m in found}))
    return found


def pick_task(hub: TestHub, command_id: str = "C1") -> PickTask:
    return PickTask(**hub.envelope(), command_id=command_id, task_id="T1", order_id="O1",
                    colour="blue", expires_at=datetime.now(UTC) + timedelta(minutes=5),
                    picks=[PickLine(pick_id="P1", location="A01-02-A", sku="MUG",
                                    barcode="5012345678900", qty=2),
                           PickLine(pick_id="P2", location="A01-03-A", sku="TEA",
                                    barcode="5012345678917", qty=1)])


def test_pick_task_is_completed_by_the_simulated_picker(run_agent: Callable[..., Agent],
                                                        hub: TestHub) -> None:
    agent = run_agent("pick_zone", "zone-a")
    hub.command("zone-a", pick_task(hub))
    hub.command("zone-a", pick_task(hub))  # redelivered: no second effect
    [ack] = acking(hub, "zone-a", "command_ack")
    assert ack.payload["command_id"] == "C1" and ack.payload["status"] == "done"
    confirmed = acking(hub, "zone-a", "pick_confirmed", count=2)
    assert [c.payload["pick_id"] for c in confirmed] == ["P1", "P2"]
    assert {c.payload["method"] for c in confirmed} == {"scan"}
    deadline = time.monotonic() + 5
    while (agent.outbox.depth() or lit_slots(agent.peripherals.sim.lights)) \
            and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    assert agent.outbox.depth() == 0
    assert agent.held_tasks() == []
    assert len(hub.events("command_ack")) == 1


def test_pack_job_is_packed_weighed_and_labelled(run_agent: Callable[..., Agent],
                                                 hub: TestHub) -> None:
    agent = run_agent("pack_bench", "bench-1")
    job = PackJob(**hub.envelope(), command_id="J1", order_id="O7", order_ref="ORD-7",
                  packaging_g=80.0,
                  lines=[PackLine(sku="MUG", barcode="5012345678900", qty=2, unit_weight_g=320),
                         PackLine(sku="TEA", barcode="5012345678917", qty=1, unit_weight_g=110)])
    hub.command("bench-1", job)
    [verified] = acking(hub, "bench-1", "pack_verified", timeout=40)
    assert verified.payload["expected_g"] == 830.0
    assert abs(verified.payload["weight_g"] - 830.0) <= verified.payload["tolerance_g"]
    label = PrintLabel(**hub.envelope(), command_id="L1", order_id="O7", shipment_id="SH1",
                       label=LabelData(order_ref="ORD-7", ship_to=["Ann Smith", "1 High St"],
                                       courier="dpd", service="next-day",
                                       tracking_number="TRK123", weight_g=830))
    hub.command("bench-1", label)
    [printed] = acking(hub, "bench-1", "label_printed")
    assert printed.payload["tracking_number"] == "TRK123"
    acks = hub.wait_for(lambda m: m.payload.get("type") == "command_ack", count=2)
    assert {(a.payload["command_id"], a.payload["status"]) for a in acks} == {
        ("J1", "done"), ("L1", "done")}
    assert agent.peripherals.sim.printer.labels_printed() == 1  # type: ignore[attr-defined]
    assert agent.held_jobs() == []


def test_operator_mistakes_are_caught_and_the_work_still_completes(
        run_agent: Callable[..., Agent], hub: TestHub) -> None:
    run_agent("pick_zone", "zone-m", mistake_rate=1.0)
    hub.command("zone-m", pick_task(hub))
    confirmed = acking(hub, "zone-m", "pick_confirmed", count=2)
    assert [c.payload["pick_id"] for c in confirmed] == ["P1", "P2"]
    rejected = acking(hub, "zone-m", "scan_rejected", count=2)
    assert {r.payload["reason"] for r in rejected} == {"wrong_item"}
    assert rejected[0].payload["task_id"] == "T1"


def test_peripheral_state_change_is_published_retained(
        run_agent: Callable[..., Agent], hub: TestHub) -> None:
    agent = run_agent("pack_bench", "bench-u", operator=False)
    name = "bench-u-scale"
    hub.wait_for(lambda m: m.topic.endswith(f"/peripheral/{name}/status")
                 and m.payload["state"] == "ok")
    agent.peripherals.sim.scale.unplug()  # type: ignore[attr-defined]
    [down] = hub.wait_for(lambda m: m.topic.endswith(f"/peripheral/{name}/status")
                          and m.payload["state"] != "ok", timeout=15)
    assert down.payload["kind"] == "scale"
    agent.peripherals.sim.scale.replug()  # type: ignore[attr-defined]
    hub.wait_for(lambda m: m.topic.endswith(f"/peripheral/{name}/status")
                 and m.payload["state"] == "ok", timeout=15, count=2)


def test_held_task_survives_kill_9(mosquitto_url: str, unique_site: str, hub: TestHub,
                                   tmp_path: Path) -> None:
    """A pick zone killed with SIGKILL comes back with its task and finishes it."""
    outbox = tmp_path / "zone.sqlite"
    cmd = [sys.executable, "-m", "edge.cli", "simulate", "--role", "pick_zone",
           "--device-id", "zone-k", "--site", unique_site, "--mqtt-url", mosquitto_url,
           "--slots", SLOTS, "--outbox", str(outbox)]
    with (tmp_path / "agent.log").open("w") as log:
        first = subprocess.Popen([*cmd, "--no-operator"], stdout=log, stderr=subprocess.STDOUT)
        try:
            hub.wait_for(lambda m: m.topic.endswith("zone-k/status")
                         and m.payload["state"] == "online", 20)
            hub.command("zone-k", pick_task(hub))
            hub.wait_for(lambda m: m.payload.get("type") == "command_ack", 20)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        hub.wait_for(lambda m: m.topic.endswith("zone-k/status")
                     and m.payload["state"] == "offline", 20)
        second = subprocess.Popen([*cmd, "--operator"], stdout=log, stderr=subprocess.STDOUT)
        try:
            confirmed = acking(hub, "zone-k", "pick_confirmed", count=2, timeout=40)
            assert [c.payload["pick_id"] for c in confirmed] == ["P1", "P2"]
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(15) == 0
        offline = hub.wait_for(lambda m: m.topic.endswith("zone-k/status")
                               and m.payload["state"] == "offline", 10, count=2)
        assert offline[-1].payload["bdseq"] > offline[0].payload["bdseq"]


def test_config_with_bad_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="role"):
        simulated_config("till", "x", "s", "mqtt://127.0.0.1", "", tmp_path / "o", False)
    assert isinstance(simulated_config("pack_bench", "b", "s", "mqtt://h", "", tmp_path / "o",
                                       False), AgentConfig)


def test_pick_zone_works_through_an_outage_and_syncs_after(
        mosquitto_url: str, unique_site: str, hub: TestHub, tmp_path: Path) -> None:
    proxy = TcpProxy("127.0.0.1", 1883)
    config = simulated_config("pick_zone", "zone-o", unique_site, proxy.url, SLOTS,
                              tmp_path / "zone-o.sqlite", operator=False)
    agent = Agent(config, build_peripherals(config), resend_after_s=2.0)
    agent.start()
    try:
        assert agent.link.wait_connected(10)
        hub.command("zone-o", pick_task(hub))
        acking(hub, "zone-o", "command_ack")
        deadline = time.monotonic() + 10  # the ack reached the agent before the cut
        while agent.outbox.depth() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert agent.outbox.depth() == 0
        proxy.cut()
        deadline = time.monotonic() + 10
        while agent.link.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not agent.link.connected.is_set()
        scanner = agent.peripherals.sim.scanner  # type: ignore[attr-defined]
        for code in ("5012345678900", "5012345678917"):  # the picker carries on
            scanner.type_barcode(code)
        deadline = time.monotonic() + 10
        while agent.held_tasks() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert agent.held_tasks() == []
        assert hub.events("pick_confirmed") == []
        assert agent.outbox.depth() >= 2
        proxy.restore()
        confirmed = acking(hub, "zone-o", "pick_confirmed", count=2, timeout=40)
        assert [c.payload["pick_id"] for c in confirmed] == ["P1", "P2"]
        deadline = time.monotonic() + 5
        while agent.outbox.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert agent.outbox.depth() == 0
    finally:
        agent.stop()
        proxy.close()
