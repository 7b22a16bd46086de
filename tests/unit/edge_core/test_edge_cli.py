"""The fulfil-edge command line: version, devices, clear errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edge.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("fulfil-edge ")


def test_devices_lists_or_says_none() -> None:
    result = runner.invoke(app, ["devices"])
    assert result.exit_code == 0 and result.output.strip()


def test_bad_config_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("device_id: zone-a\nrole: pick_zone\ndevices: {}\nmqtt_url: http://x\n")
    result = runner.invoke(app, ["run", "--config", str(path)])
    assert result.exit_code == 2
    assert "mqtt://" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_config_and_unknown_profile_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read" in result.output
    path = tmp_path / "agent.yaml"
    path.write_text("device_id: zone-a\nrole: pack_bench\n"
                    f"outbox_path: {tmp_path / 'o.sqlite'}\n"
                    "devices: {scanner: {profile: no-such-scanner, simulate: true}}\n")
    result = runner.invoke(app, ["run", "--config", str(path)])
    assert result.exit_code == 2 and "no-such-scanner" in result.output


def test_simulate_pick_zone_needs_slots(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--role", "pick_zone", "--device-id", "z",
                                 "--outbox", str(tmp_path / "o.sqlite")])
    assert result.exit_code == 2 and "--slots" in result.output
