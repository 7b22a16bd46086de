"""Frames of every non-MT-SICS scale dialect -> readings, including malformed input.

Recorded frames: the nci_scp12_3825 cases of scale_frames.json (kept inline too), and
frames written the way PROTOCOLS.md describes each dialect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.core import hid_pos_scale as hid
from edge.core import toledo8217
from edge.core.adam import Adam
from edge.core.cas_continuous import CasContinuous
from edge.core.nci_scp12 import NciScp12
from edge.core.readings import WeightReading
from edge.core.scale_dialect import Dialect, ReadingFilter
from edge.core.toledo8217 import Toledo8217

FRAMES = Path("/work/shared/samples/devices/scale_frames.json")
NCI_SAMPLES = (json.loads(FRAMES.read_text())["nci_scp12_3825"]["cases"]
               if FRAMES.exists() else [])
NCI_CASES = [
    ("\n  1.50lb\r00\x03", {"weight": 1.5, "units": "lb", "stable": True, "atZero": False}),
    ("\n  2.25kg\r10\x03", {"weight": 2.25, "units": "kg", "stable": False}),
    ("\n?\r", {"type": "unknown_command"}),
]
NOISE = [b"", b"\xff\xfe\x00", b"\x02\x02\x02", b"ST,GS", b"\n\r\x03", b"nan kg",
         bytes(range(256)), b"\x02 1e999\r", b"\x02?\r", b"+inf kg"]


def test_nci_local_cases_match_the_samples() -> None:
    if NCI_SAMPLES:
        assert [(c["rx"], c["expect"]) for c in NCI_SAMPLES] == NCI_CASES


@pytest.mark.parametrize(("rx", "expect"), NCI_CASES)
def test_nci_recorded_frames(rx: str, expect: dict[str, object]) -> None:
    frames, rest = NciScp12().split(rx.encode("latin-1"))
    assert rest == b"" and len(frames) == 1
    r = NciScp12().parse(frames[0])
    if expect.get("type") == "unknown_command":
        assert r.error == "syntax" and r.grams is None
        return
    assert r.value == expect["weight"] and r.unit == expect["units"]
    assert r.stable is expect["stable"]
    assert r.error == (None if expect["stable"] else "motion")


def test_nci_status_bits_and_conversion() -> None:
    d = NciScp12()
    assert d.parse(b"\n  1.50lb\r00\x03").grams == pytest.approx(680.388555)
    assert d.parse(b"\n-  0.25kg\r00\x03").grams == -250.0
    assert d.parse(b"\n00\r\x03") == WeightReading(grams=None, stable=False)  # status: fine
    assert d.parse(b"\n02\r\x03").error == "overload"
    assert d.parse(b"\n01\r\x03").error == "underload"
    assert d.parse(b"\n40\r\x03").error == "hardware"   # RAM error
    assert d.parse(b"\n08\r\x03").error == "hardware"   # calibration error
    assert d.parse(b"\n  1.50lb\rZZ\x03").error == "garbage"
    assert d.parse(b"\n  1.50xx\r00\x03").error == "garbage"  # unknown unit


def test_nci_split_keeps_partial_frames_and_reports_noise() -> None:
    d = NciScp12()
    frames, rest = d.split(b"\xff\xfe\n  1.50lb\r00\x03\n  2.")
    assert frames == [b"\xff\xfe", b"\n  1.50lb\r00\x03"] and rest == b"\n  2."
    assert d.parse(frames[0]).error == "garbage"
    frames, rest = d.split(rest + b"00lb\r00\x03")
    assert [d.parse(f).grams for f in frames] == [pytest.approx(907.18474)] and rest == b""


def test_toledo_weight_status_and_probe() -> None:
    d = Toledo8217(unit="lb")
    assert d.parse(b"\x02   1.234\r").grams == pytest.approx(559.732985)
    assert d.parse(toledo8217.format_weight(2.5, net=True)).net
    assert Toledo8217(unit="kg").parse(b"\x02  0.500\r").grams == 500.0
    assert d.parse(toledo8217.format_status(toledo8217.MOTION)).error == "motion"
    assert d.parse(toledo8217.format_status(toledo8217.OVER)).error == "overload"
    assert d.parse(toledo8217.format_status(toledo8217.UNDER | toledo8217.MOTION)
                   ).error == "underload"
    assert d.parse(toledo8217.format_status(toledo8217.OUT_OF_ZERO)).error == "zero_range"
    assert d.parse(toledo8217.format_status(toledo8217.BAD_COMMAND)).error == "syntax"
    assert d.parse(toledo8217.format_status(toledo8217.CENTRE_ZERO)).error is None
    # a status byte that is itself CR (motion|under|outside zero) is not cut short
    frames, rest = d.split(b"\x02?\r\r\x02  1.000\r")
    assert rest == b"" and [d.parse(f).error for f in frames] == ["underload", None]
    frames, rest = d.split(b"\x02E\rhello")
    assert frames == [b"\x02E\rhello"] and d.parse(frames[0]).grams is None
    assert d.probe is not None and d.probe.request == b"Ehello"


def test_cas_stream() -> None:
    d = CasContinuous()
    frames, rest = d.split(b"ST,GS,+  0012.34kg\r\nUS,GS,+  0001.00kg\r\nOL,GS,+  99")
    assert rest == b"OL,GS,+  99"
    first, second = (d.parse(f) for f in frames)
    assert (first.grams, first.stable, first.net) == (12340.0, True, False)
    assert second.error == "motion" and not second.stable
    assert d.parse(b"ST,NT,-  0000.50kg").grams == -500.0
    assert d.parse(b"ST,NT,-  0000.50kg").net
    assert d.parse(b"OL,GS,+  9999.99kg").error == "overload"
    assert d.parse(b"ST,GS,+  12.5lb").grams == pytest.approx(5669.904625)
    assert d.parse(b"XX,GS,+  0012.34kg").error == "garbage"


def test_adam_frames_and_default_unit() -> None:
    d = Adam(unit="kg")
    assert d.parse(b"  1.234kg").grams == 1234.0
    assert d.parse(b"   0.75").grams == 750.0  # unit from the profile
    assert d.parse(b"  -0.100 kg").grams == -100.0
    assert d.parse(b"  12.0 lb").grams == pytest.approx(5443.10844)
    assert d.parse(b"  1.2.3kg").error == "garbage"
    assert d.silence_is_offline is False


def test_hid_reports() -> None:
    assert hid.parse_report(bytes([3, 4, 2, 0, 0xD2, 0x04])).grams == 1234.0
    assert hid.parse_report(bytes([3, 4, 11, 0xFF, 0x64, 0])).grams == pytest.approx(283.495231)
    assert hid.parse_report(bytes([3, 4, 12, 0xFE, 0xFA, 0])).grams == pytest.approx(1133.98)
    assert hid.parse_report(bytes([3, 2, 2, 0, 0, 0])).grams == 0.0
    assert hid.parse_report(bytes([3, 3, 2, 0, 10, 0])).error == "motion"
    assert hid.parse_report(bytes([3, 5, 2, 0, 0, 0])).error == "underload"
    assert hid.parse_report(bytes([3, 6, 2, 0, 0, 0])).error == "overload"
    assert hid.parse_report(bytes([3, 4, 99, 0, 1, 0])).error == "garbage"  # unknown unit
    assert hid.parse_report(bytes([4, 4, 2, 0, 1, 0])).error == "garbage"   # wrong report id
    assert hid.parse_report(bytes([3, 4, 2])).error == "garbage"
    reports, rest = hid.split_reports(b"\xaa\xbb" + hid.format_report(4, 500) + b"\x03\x04")
    assert reports[0] == b"\xaa\xbb" and hid.parse_report(reports[1]).grams == 500.0
    assert rest == b"\x03\x04"


@pytest.mark.parametrize("dialect", [Toledo8217(), NciScp12(), CasContinuous(), Adam()],
                         ids=lambda d: d.name)
def test_malformed_input_never_raises(dialect: Dialect) -> None:
    for noise in NOISE:
        frames, _rest = dialect.split(noise)
        for frame in [*frames, noise]:
            r = dialect.parse(frame)
            assert r.grams is None or r.error is None
            assert r.error in (None, "garbage", "syntax", "motion", "overload", "underload",
                               "zero_range", "hardware")
    for noise in NOISE:
        assert hid.parse_report(noise).error == "garbage"


def test_filter_emits_stable_changes_and_each_error_once() -> None:
    f = ReadingFilter(min_change_g=2.0)
    stable = [WeightReading(grams=g, stable=True) for g in (0.0, 1.0, 5.0, 5.5)]
    assert [f.accept(r) for r in stable] == [True, False, True, False]
    over = WeightReading(grams=None, stable=False, error="overload")
    assert [f.accept(over), f.accept(over)] == [True, False]
    assert f.accept(WeightReading(grams=5.5, stable=True))  # back after an error
    assert not f.accept(WeightReading(grams=None, stable=False))  # an acknowledgement


def test_filter_reports_a_parcel_swapped_for_one_of_the_same_weight() -> None:
    f = ReadingFilter(min_change_g=2.0)
    motion = WeightReading(grams=None, stable=False, error="motion")
    readings = [WeightReading(grams=401.3, stable=True), motion, motion,
                WeightReading(grams=400.6, stable=True), WeightReading(grams=400.6, stable=True)]
    assert [f.accept(r) for r in readings] == [True, False, False, True, False]


def test_filter_treats_a_moving_figure_as_motion() -> None:
    f = ReadingFilter(min_change_g=2.0)
    moving = WeightReading(grams=250.0, stable=False)  # e.g. NCI SCP-12 with its motion bit
    assert [f.accept(moving), f.accept(WeightReading(grams=251.0, stable=True))] == [False, True]
