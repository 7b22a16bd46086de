"""The real serial scale drivers (pyserial) against pty simulators writing real frames.

One parametrised rig per dialect: Toledo 8217 (with its probe), NCI SCP-12, CAS continuous
and Adam. Motion is never reported as a weight, overload and line noise become one error
reading each (and the peripheral state says why), unplug/replug recovers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.core.readings import WeightReading
from edge.devices.serial_scale import DRIVERS, SerialScale
from edge.profiles import ScaleProfile, load_profile
from edge.sim.scale_dialect_sims import SIMULATORS, pty_line
from edge.sim.scale_pty import ScaleSimulator
from tests.integration.edge_devices.waiting import wait_for

PROFILES = {"toledo_8217": "mettler-toledo-8217", "nci_scp12": "brecknell-scp12",
            "cas_continuous": "cas-continuous", "adam": "adam-equipment"}
Rig = tuple[SerialScale, ScaleSimulator, list[WeightReading]]


def weights(readings: list[WeightReading]) -> list[float]:
    """Stable weights to the nearest 10 g (lb dialects resolve 0.45 g or 4.5 g)."""
    return [round(r.grams, -1) for r in readings if r.error is None and r.grams is not None]


def profile_for(dialect: str) -> ScaleProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, PROFILES[dialect], "scale")
    assert isinstance(p, ScaleProfile) and p.dialect == dialect
    return p.model_copy(update={"poll_interval_ms": 30, "response_timeout_ms": 250,
                                "serial": pty_line(p)})


@pytest.fixture(params=list(PROFILES))
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from open_rig(request.param)


# Adam's print protocol has no overload frame, so it has no overload case.
@pytest.fixture(params=[dialect for dialect in PROFILES if dialect != "adam"])
def overload_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from open_rig(request.param)


def open_rig(dialect: str) -> Iterator[Rig]:
    sim = SIMULATORS[dialect](settle_s=0.3)
    scale = DRIVERS[dialect](f"{dialect}-scale", sim.slave_path, profile_for(dialect))
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        assert wait_for(lambda: scale.state()[0] == "ok")
        yield scale, sim, readings
    finally:
        scale.close()
        sim.close()


def test_motion_then_one_stable_weight(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.place(1230.0)
    assert wait_for(lambda: 1230 in weights(readings))
    assert all(r.stable for r in readings if r.error is None)  # never a weight in motion
    frames = scale.frames
    assert wait_for(lambda: scale.frames > frames + 3 or scale.dialect.name == "adam")
    assert weights(readings).count(1230) == 1  # an unchanged weight is not repeated
    sim.place(2460.0)
    assert wait_for(lambda: weights(readings)[-1] == 2460)


def test_overload_is_one_error_and_recovers(overload_rig: Rig) -> None:
    scale, sim, readings = overload_rig
    sim.overload()
    assert wait_for(lambda: any(r.error == "overload" for r in readings))
    assert scale.state() == ("error", "overload")
    frames = scale.frames
    assert wait_for(lambda: scale.frames > frames + 5)
    assert [r.error for r in readings].count("overload") == 1
    sim.place(800.0)
    assert wait_for(lambda: 800 in weights(readings))
    assert scale.state() == ("ok", None)


def test_garbage_is_an_error_reading_and_the_line_recovers(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.inject_garbage(b"\xff\x00\xfe#~\x02junk\r\n\x03")
    assert wait_for(lambda: any(r.error == "garbage" for r in readings))
    sim.place(640.0)
    assert wait_for(lambda: weights(readings)[-1:] == [640])
    assert scale.state() == ("ok", None)


def test_unplug_goes_offline_and_replug_recovers(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.unplug()
    assert wait_for(lambda: scale.state()[0] == "offline")
    assert wait_for(lambda: readings[-1].error == "offline")
    sim.place(420.0)
    sim.replug()
    assert wait_for(lambda: scale.state()[0] == "ok", timeout=6)
    assert wait_for(lambda: weights(readings)[-1:] == [420])


def test_toledo_probe_runs_at_every_open_and_a_silent_probe_is_offline() -> None:
    from edge.sim.scale_dialect_sims import Toledo8217Simulator

    sim = Toledo8217Simulator(settle_s=0.1, answer_probe=False)
    scale = DRIVERS["toledo_8217"]("t", sim.slave_path, profile_for("toledo_8217"))
    scale.open()
    try:
        assert wait_for(lambda: "probe" in (scale.state()[1] or ""))
        assert scale.state()[0] == "offline" and "W" not in sim.commands
        sim.answer_probe = True
        assert wait_for(lambda: scale.state()[0] == "ok", timeout=4)
        assert wait_for(lambda: "W" in sim.commands)
        probes = sim.commands.count("Ehello")
        sim.unplug()
        sim.replug()
        assert wait_for(lambda: sim.commands.count("Ehello") > probes, timeout=6)
    finally:
        scale.close()
        sim.close()


def test_nci_zero_command() -> None:
    sim = SIMULATORS["nci_scp12"](settle_s=0.1)
    scale = DRIVERS["nci_scp12"]("n", sim.slave_path, profile_for("nci_scp12"))
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        sim.place(300.0)
        assert wait_for(lambda: weights(readings)[-1:] == [300])
        scale.zero()
        assert wait_for(lambda: "Z" in sim.commands)
        assert wait_for(lambda: weights(readings)[-1:] == [0])
    finally:
        scale.close()
        sim.close()


def test_adam_silence_is_not_offline() -> None:
    sim = SIMULATORS["adam"](settle_s=0.05)
    scale = DRIVERS["adam"]("a", sim.slave_path, profile_for("adam"))
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        sim.place(500.0)
        assert wait_for(lambda: weights(readings) == [500])
        polls = sim.commands.count("P")
        assert wait_for(lambda: sim.commands.count("P") > polls + 10)  # all unanswered
        assert scale.state() == ("ok", None)
        assert [r.error for r in readings] == [None]
    finally:
        scale.close()
        sim.close()
