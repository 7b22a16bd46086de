"""The real HidPosScale driver reading 6-byte HID POS reports from a simulated hidraw node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.core import hid_pos_scale as hid
from edge.core.readings import WeightReading
from edge.devices.hid_pos_scale import HidPosScale
from edge.profiles import ScaleProfile, load_profile
from edge.sim.hid_scale_sim import HidScaleSimulator
from tests.integration.edge_devices.waiting import wait_for

Rig = tuple[HidPosScale, HidScaleSimulator, list[WeightReading]]


@pytest.fixture
def rig() -> Iterator[Rig]:
    profile = load_profile(DEFAULT_PROFILES_DIR, "dymo-m10-hid", "scale")
    assert isinstance(profile, ScaleProfile) and profile.dialect == "hid_pos"
    sim = HidScaleSimulator(settle_s=0.2, interval_s=0.02)
    scale = HidPosScale("hid", sim.path, profile)
    readings: list[WeightReading] = []
    scale.on_reading(readings.append)
    scale.open()
    try:
        assert wait_for(lambda: scale.state()[0] == "ok")
        yield scale, sim, readings
    finally:
        scale.close()
        sim.close()


def weights(readings: list[WeightReading]) -> list[float | None]:
    return [r.grams for r in readings if r.error is None]


def test_stable_weights_only(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.place(1234)
    assert wait_for(lambda: 1234.0 in weights(readings))
    assert weights(readings) == [0.0, 1234.0]  # motion reports never became a weight
    reports = scale.reports
    assert wait_for(lambda: scale.reports > reports + 10)
    assert weights(readings) == [0.0, 1234.0]


def test_overload_and_garbage_are_errors_then_recover(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.overload()
    assert wait_for(lambda: scale.state() == ("error", "overload"))
    sim.place(300)
    assert wait_for(lambda: weights(readings)[-1:] == [300.0])
    sim.inject(b"\xde\xad\xbe")  # noise: resynchronised on the report id
    sim.inject(bytes([3, 4, 99, 0, 1, 0]))  # a report in an unknown unit
    assert wait_for(lambda: sum(r.error == "garbage" for r in readings) >= 1)
    assert wait_for(lambda: weights(readings)[-1:] == [300.0] and readings[-1].error is None)
    assert [r.error for r in readings].count("overload") == 1
    assert scale.state() == ("ok", None)


def test_unplug_and_replug(rig: Rig) -> None:
    scale, sim, readings = rig
    sim.unplug()
    assert wait_for(lambda: scale.state()[0] == "offline")
    assert readings[-1].error == "offline"
    sim.place(77)
    sim.replug()
    assert wait_for(lambda: scale.state()[0] == "ok", timeout=5)
    assert wait_for(lambda: weights(readings)[-1:] == [77.0])


def test_report_format_roundtrip() -> None:
    assert hid.parse_report(hid.format_report(hid.STABLE, 250)).grams == 250.0
