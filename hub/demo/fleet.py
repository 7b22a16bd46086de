"""Several simulated edge agents in one process, each in its own threads, until SIGTERM.

The scaled demo starts a few of these processes instead of one process per device:
`python -m hub.demo.fleet SPEC.json`, where the spec is a list of
{"role", "device_id", "slots", "outbox"} plus shared "site", "mqtt_url", "mistake_rate"."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from edge.agent import Agent
from edge.cli import simulated_config
from edge.devices.factory import build_peripherals


def build_agents(spec: dict[str, Any]) -> list[Agent]:
    agents = []
    for device in spec["devices"]:
        config = simulated_config(device["role"], device["device_id"], spec["site"],
                                  spec["mqtt_url"], ",".join(device.get("slots", [])),
                                  Path(device["outbox"]), operator=True)
        agents.append(Agent(config, build_peripherals(config),
                            operator_options={"think_s": 0.2,
                                              "mistake_rate": float(spec["mistake_rate"])}))
    return agents


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    agents = build_agents(spec)
    for agent in agents:
        agent.start()
    print(f"fleet: {len(agents)} simulated agents running", flush=True)
    while not stop.wait(0.5):
        pass
    for agent in agents:
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
