"""The real MtSicsScale driver (pyserial) reading a simulated balance through a real pty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.core.readings import WeightReading
from edge.devices.mtsics_scale import MtSicsScale
from edge.profiles import ScaleProfile, load_profile
from edge.sim.scale_pty import ScaleSimulator
from tests.integration.edge_devices.waiting import wait_for


@pytest.fixture
def profile() -> ScaleProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, "mettler-toledo-mt-sics", "scale")
    assert isinstance(p, ScaleProfile)
    return p.model_copy(update={"poll_interval_ms": 30, "response_timeout_ms": 300})


@pytest.fixture
def sim() -> Iterator[ScaleSimulator]:
    s = ScaleSimulator(settle_s=0.3)
    yield s
    s.close()


@pytest.fixture
def rig(sim: ScaleSimulator, profile: ScaleProfile
        ) -> Iterator[tuple[MtSicsScale, list[WeightReading]]]:
    scale = MtSicsScale("bench-scale", sim.slave_path, profile)
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    assert wait_for(lambda: scale.state()[0] == "ok")
    assert wait_for(lambda: len(readings) == 1)
    yield scale, readings
    scale.close()


def stable(readings: list[WeightReading]) -> list[float | None]:
    return [r.grams for r in readings if r.error is None]


def test_motion_then_one_stable_reading(rig: tuple[MtSicsScale, list[WeightReading]],
                                        sim: ScaleSimulator) -> None:
    _, readings = rig
    assert readings[0].grams == 0.0 and readings[0].stable
    sim.place(1234.5)
    assert wait_for(lambda: 1234.5 in stable(readings))
    # while settling the balance answered "S D": never reported, no half weights
    assert all(r.stable for r in readings)
    assert stable(readings) == [0.0, 1234.5]
    polls = len(sim.commands)
    assert wait_for(lambda: len(sim.commands) > polls + 5)
    assert stable(readings) == [0.0, 1234.5]  # unchanged weight is not repeated
    sim.remove()
    assert wait_for(lambda: stable(readings) == [0.0, 1234.5, 0.0])
    assert "SI" in sim.commands


def test_small_drift_is_debounced_but_a_new_parcel_is_reported(
        rig: tuple[MtSicsScale, list[WeightReading]], sim: ScaleSimulator) -> None:
    _, readings = rig
    sim.place(500.0)
    assert wait_for(lambda: 500.0 in stable(readings))
    settle_s, sim.settle_s = sim.settle_s, 0.0
    sim.place(501.0)  # drifts below min_change_g (2 g) with no motion: not a new weighing
    polls = len(sim.commands)
    assert wait_for(lambda: len(sim.commands) > polls + 15)
    assert stable(readings) == [0.0, 500.0]
    sim.settle_s = settle_s
    sim.place(500.5)  # a parcel of about the same weight put on: motion, then a new reading
    assert wait_for(lambda: 500.5 in stable(readings))
    assert stable(readings) == [0.0, 500.0, 500.5]


def test_overload_reported_once_then_recovers(rig: tuple[MtSicsScale, list[WeightReading]],
                                              sim: ScaleSimulator) -> None:
    _, readings = rig
    sim.overload()
    assert wait_for(lambda: any(r.error == "overload" for r in readings))
    polls = len(sim.commands)
    assert wait_for(lambda: len(sim.commands) > polls + 5)
    assert [r.error for r in readings].count("overload") == 1
    sim.place(800.0)
    assert wait_for(lambda: 800.0 in stable(readings))


def test_garbage_bytes_are_an_error_and_do_not_derail(
        rig: tuple[MtSicsScale, list[WeightReading]], sim: ScaleSimulator) -> None:
    _, readings = rig
    sim.place(250.0)
    assert wait_for(lambda: 250.0 in stable(readings))
    sim.inject_garbage(b"\xff\x00\xfe#~\r\n")
    assert wait_for(lambda: any(r.error == "garbage" for r in readings))
    # the line recovers: the weight is reported again after the error
    assert wait_for(lambda: stable(readings)[-1] == 250.0 and readings[-1].error is None)
    assert [r.error for r in readings].count("garbage") == 1


def test_zero_and_tare_send_commands(rig: tuple[MtSicsScale, list[WeightReading]],
                                     sim: ScaleSimulator) -> None:
    scale, readings = rig
    sim.place(100.0)
    assert wait_for(lambda: 100.0 in stable(readings))
    scale.tare()
    assert wait_for(lambda: "T" in sim.commands)
    assert wait_for(lambda: readings[-1].grams == 0.0 and readings[-1].net)
    sim.place(350.0)
    assert wait_for(lambda: readings[-1].grams == 250.0)
    scale.zero()
    assert wait_for(lambda: "Z" in sim.commands)
    assert wait_for(lambda: readings[-1].grams == 0.0 and not readings[-1].net)


def test_unplug_goes_offline_and_recovers(rig: tuple[MtSicsScale, list[WeightReading]],
                                          sim: ScaleSimulator) -> None:
    scale, readings = rig
    sim.unplug()
    assert wait_for(lambda: scale.state()[0] == "offline")
    assert wait_for(lambda: readings[-1].error == "offline")
    sim.place(42.0)
    sim.replug()
    assert wait_for(lambda: scale.state()[0] == "ok", timeout=5)
    assert wait_for(lambda: readings[-1].grams == 42.0)


def test_silent_balance_goes_offline(rig: tuple[MtSicsScale, list[WeightReading]],
                                     sim: ScaleSimulator) -> None:
    scale, readings = rig
    sim.mute()
    assert wait_for(lambda: scale.state()[0] == "offline", timeout=5)
    assert readings[-1].error == "offline"
    assert "no answer" in (scale.state()[1] or "")
    sim.mute(False)
    assert wait_for(lambda: scale.state()[0] == "ok")
    assert wait_for(lambda: readings[-1].grams == 0.0)


def test_missing_port_is_offline_not_a_crash(profile: ScaleProfile, tmp_path) -> None:
    scale = MtSicsScale("nowhere", str(tmp_path / "no-such-tty"), profile)
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        assert wait_for(lambda: readings and readings[0].error == "offline")
        assert scale.state()[0] == "offline"
    finally:
        scale.close()


def test_stable_only_poll_command(sim: ScaleSimulator, profile: ScaleProfile) -> None:
    scale = MtSicsScale("s", sim.slave_path, profile.model_copy(update={"poll_command": "S"}))
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        sim.place(75.5)
        assert wait_for(lambda: 75.5 in stable(readings))
        assert "S" in sim.commands and "SI" not in sim.commands
    finally:
        scale.close()
