"""The README's main job: `fulfil-hub demo` runs orders to a printed label and says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.adapters.embedded_broker import free_port

pytestmark = pytest.mark.e2e


def test_demo_runs_to_labels_and_prints_the_summary(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from hub.entrypoints.cli import app; app()", "demo", "--exit",
         "--orders", "3", "--port", str(free_port()), "--broker-port", str(free_port()),
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "3 of 3 orders packed with a label printed" in result.stdout
    assert "Time per step" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert (tmp_path / "hub.sqlite").exists()


def test_scaled_demo_spreads_orders_over_zones_and_benches(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from hub.entrypoints.cli import app; app()", "demo", "--exit",
         "--pick-zones", "3", "--pack-benches", "2", "--orders", "12", "--mistake-rate", "0",
         "--port", str(free_port()), "--broker-port", str(free_port()),
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "12 of 12 orders packed with a label printed" in result.stdout
    assert "orders/hour" in result.stdout
    assert "S-shape" in result.stdout
    assert "Perfect Order Percentage" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    logs = "".join(p.read_text() for p in tmp_path.glob("fleet-*.log"))
    assert "fleet: 5 simulated agents running" in logs  # 3 zones + 2 benches in one process
