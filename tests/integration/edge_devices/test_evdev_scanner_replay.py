"""The real EvdevScanner decoding real evdev.InputEvent objects from ScannerReplay."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.integration.edge_devices.waiting import wait_for

evdev = pytest.importorskip("evdev")

from edge.config import DEFAULT_PROFILES_DIR  # noqa: E402
from edge.devices.evdev_scanner import EvdevScanner, EvdevSource  # noqa: E402
from edge.profiles import ScannerProfile, load_profile  # noqa: E402
from edge.sim.scanner_replay import ScannerReplay, simulated_scanner  # noqa: E402

ecodes = evdev.ecodes


def profile(**update: object) -> ScannerProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, "zebra-ds2208", "scanner")
    assert isinstance(p, ScannerProfile)
    return p.model_copy(update=update)


@pytest.fixture
def rig() -> Iterator[tuple[EvdevScanner, ScannerReplay, list[str]]]:
    scanner, replay = simulated_scanner("zone-scanner", profile())
    scans: list[str] = []
    scanner.on_scan(scans.append)
    scanner.open()
    assert wait_for(lambda: scanner.state()[0] == "ok")
    yield scanner, replay, scans
    scanner.close()


def test_replay_events_look_like_a_real_keyboard() -> None:
    replay = ScannerReplay()
    replay.type_barcode("A1")
    events = []
    stop = threading.Event()
    for event in replay.events(stop):
        events.append(event)
        if len(events) == 24:  # 8 key events, each MSC_SCAN + EV_KEY + SYN_REPORT
            stop.set()
    assert all(isinstance(e, evdev.InputEvent) for e in events)
    keys = [(e.code, e.value) for e in events if e.type == ecodes.EV_KEY]
    assert keys == [(ecodes.KEY_LEFTSHIFT, 1), (ecodes.KEY_A, 1), (ecodes.KEY_A, 0),
                    (ecodes.KEY_LEFTSHIFT, 0), (ecodes.KEY_1, 1), (ecodes.KEY_1, 0),
                    (ecodes.KEY_ENTER, 1), (ecodes.KEY_ENTER, 0)]
    assert sum(e.type == ecodes.EV_MSC and e.code == ecodes.MSC_SCAN for e in events) == 8
    assert sum(e.type == ecodes.EV_SYN for e in events) == 8
    assert evdev.categorize(events[1]).keycode == "KEY_LEFTSHIFT"


def test_scans_are_decoded(rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    scanner, replay, scans = rig
    codes = ["5012345678900", "SKU-Blue/XL", "TOTE:0042", "01\x1d10ABC"]
    for code in codes:
        replay.type_barcode(code)
    assert wait_for(lambda: len(scans) == len(codes))
    assert scans == codes
    assert scanner.scans == 4


def test_concurrent_typing_is_thread_safe(
        rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    _, replay, scans = rig
    threads = [threading.Thread(target=replay.type_barcode, args=(f"CODE{i:03d}",))
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wait_for(lambda: len(scans) == 10)
    assert sorted(scans) == [f"CODE{i:03d}" for i in range(10)]


def test_autorepeat_is_ignored(rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    _, replay, scans = rig
    now = 1_000_000
    for code, value in ((ecodes.KEY_7, 1), (ecodes.KEY_7, 2), (ecodes.KEY_7, 2), (ecodes.KEY_7, 0),
                        (ecodes.KEY_ENTER, 1), (ecodes.KEY_ENTER, 0)):
        replay.inject(evdev.InputEvent(now, 0, ecodes.EV_KEY, code, value))
    assert wait_for(lambda: scans == ["7"])


def test_half_read_code_is_dropped(rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    scanner, replay, scans = rig
    replay.inject(evdev.InputEvent(1000, 0, ecodes.EV_KEY, ecodes.KEY_9, 1))
    replay.type_barcode("OK1")  # typed "now": long after the stray key
    assert wait_for(lambda: scans == ["OK1"])
    assert scanner.decoder.dropped == 1


def test_unplug_goes_offline_and_replug_recovers(
        rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    scanner, replay, scans = rig
    replay.unplug()
    assert wait_for(lambda: scanner.state()[0] == "offline")
    replay.replug()
    assert wait_for(lambda: scanner.state()[0] == "ok", timeout=4)
    replay.type_barcode("AFTER")
    assert wait_for(lambda: scans == ["AFTER"])


def test_scanner_layout_from_profile() -> None:
    scanner, replay = simulated_scanner("de", profile(keyboard_layout="de", terminator="TAB"))
    scans: list[str] = []
    scanner.on_scan(scans.append)
    scanner.open()
    try:
        replay.type_barcode("Zürich-42")
        assert wait_for(lambda: scans == ["Zürich-42"])
    finally:
        scanner.close()


def test_fr_scanner_with_gs1_stand_in_from_the_profile() -> None:
    scanner, replay = simulated_scanner(
        "fr", profile(keyboard_layout="fr", gs_sent_as="<GS>", group_separator="\x1d"))
    scans: list[str] = []
    scanner.on_scan(scans.append)
    scanner.open()
    try:
        replay.type_barcode("0109501101530008\x1d10LOT-é1")
        assert wait_for(lambda: scans == ["0109501101530008\x1d10LOT-é1"])
    finally:
        scanner.close()


def test_repeated_unplug_replug_loses_no_complete_scan(
        rig: tuple[EvdevScanner, ScannerReplay, list[str]]) -> None:
    """A code typed while unplugged never arrives; every code typed while plugged does."""
    scanner, replay, scans = rig
    expected = []
    for i in range(3):
        replay.type_barcode(f"BEFORE{i}")
        expected.append(f"BEFORE{i}")
        assert wait_for(lambda: scans == expected)
        replay.unplug()
        assert wait_for(lambda: scanner.state()[0] == "offline")
        replay.replug()
        assert wait_for(lambda: scanner.state()[0] == "ok", timeout=4)
    replay.type_barcode("AFTER")
    assert wait_for(lambda: scans == [*expected, "AFTER"])
    assert scanner.decoder.pending == ""


def test_missing_device_is_offline(tmp_path) -> None:
    scanner = EvdevScanner("none", EvdevSource(path=str(tmp_path / "event99")), profile())
    scanner.open()
    try:
        assert wait_for(lambda: "No such file" in (scanner.state()[1] or ""))
        assert scanner.state()[0] == "offline"
    finally:
        scanner.close()
