"""The hub pushes a scale profile: the agent swaps the driver, stores it with the ack in one
transaction, reports it in its birth/health, refuses a bad one and keeps it across a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.agent import Agent
from edge.cli import simulated_config
from edge.config import DEFAULT_PROFILES_DIR
from edge.devices.factory import build_peripherals
from edge.devices.mtsics_scale import MtSicsScale
from edge.devices.serial_scale import Toledo8217Scale
from edge.outbox import Outbox
from edge.profile_push import load_pushed
from edge.wire.messages import ApplyProfile
from tests.integration.edge_link.edge_hub_double import TestHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(60)]


def toledo_content(**update: Any) -> dict[str, Any]:
    data = yaml.safe_load((DEFAULT_PROFILES_DIR / "mettler-toledo-8217.yaml").read_text())
    return {**data, **update}


def push(hub: TestHub, command_id: str, version: str, content: dict[str, Any]) -> None:
    hub.command("bench-p", ApplyProfile(**hub.envelope(), command_id=command_id,
                                        peripheral="scale", profile="mettler-toledo-8217",
                                        version=version, content=content))


def ack_of(hub: TestHub, command_id: str) -> dict[str, Any]:
    [ack] = hub.wait_for(lambda m: m.payload.get("type") == "command_ack"
                         and m.payload.get("command_id") == command_id, 15)
    return ack.payload


def test_profile_push(mosquitto_url: str, unique_site: str, hub: TestHub,
                      tmp_path: Path) -> None:
    config = simulated_config("pack_bench", "bench-p", unique_site, mosquitto_url, "",
                              tmp_path / "o.sqlite", operator=False)
    agent = Agent(config, build_peripherals(config))
    agent.start()
    try:
        assert agent.link.wait_connected(10)
        hub.wait_for(lambda m: m.topic.endswith("bench-p/status")
                     and m.payload.get("profiles", {}).get("scale")
                     == "mettler-toledo-mt-sics@local", 10)
        assert isinstance(agent.peripherals.scale, MtSicsScale)

        push(hub, "P-bad", "2", toledo_content(dialect="sartorius"))
        bad = ack_of(hub, "P-bad")
        assert bad["status"] == "rejected" and "dialect" in bad["reason"]
        assert isinstance(agent.peripherals.scale, MtSicsScale)  # the old one stays

        push(hub, "P-3", "3", toledo_content(min_change_g=5.0))
        assert ack_of(hub, "P-3")["status"] == "done"
        scale = agent.peripherals.scale
        assert isinstance(scale, Toledo8217Scale) and scale.profile.min_change_g == 5.0
        hub.wait_for(lambda m: m.topic.endswith("bench-p/status")
                     and m.payload.get("profiles", {}).get("scale")
                     == "mettler-toledo-8217@3", 10)
        # the new driver passed its probe on its (new) simulator: the scale is ok again
        hub.wait_for(lambda m: m.topic.endswith("peripheral/bench-p-scale/status")
                     and m.payload["state"] == "ok", 10, count=2)
        deadline = time.monotonic() + 10  # status messages of the old driver may come first
        while scale.state() != ("ok", None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scale.state() == ("ok", None)
        push(hub, "P-3-again", "3", toledo_content(min_change_g=5.0))
        assert ack_of(hub, "P-3-again")["reason"] == "already running"
    finally:
        agent.stop()

    stored = Outbox(tmp_path / "o.sqlite")
    try:
        pushed = load_pushed(stored)
    finally:
        stored.close()
    assert pushed["scale"].version == "3"
    again = Agent(config, build_peripherals(config, {k: p.profile for k, p in pushed.items()}))
    try:
        assert isinstance(again.peripherals.scale, Toledo8217Scale)
        assert again.profiles.running()["scale"] == "mettler-toledo-8217@3"
    finally:
        again.peripherals.close_all()
        again.outbox.close()
