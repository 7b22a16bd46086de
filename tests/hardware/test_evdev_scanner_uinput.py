"""The scanner driver on a real kernel input device (uinput virtual keyboard, or a scanner).

Skips where /dev/uinput is absent or not writable. With FULFIL_TEST_SCANNER=/dev/input/by-id/...
a real scanner is opened and grabbed; scanning FULFIL_TEST_SCAN_CODE within 20 s checks decoding.
"""

from __future__ import annotations

import os
import time

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.devices.evdev_scanner import EvdevScanner, EvdevSource
from edge.profiles import ScannerProfile, load_profile
from tests.integration.edge_devices.waiting import wait_for

evdev = pytest.importorskip("evdev")


def profile() -> ScannerProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, "zebra-ds2208", "scanner")
    assert isinstance(p, ScannerProfile)
    return p


@pytest.mark.skipif(not os.access("/dev/uinput", os.W_OK), reason="no writable /dev/uinput")
def test_virtual_keyboard_through_the_kernel() -> None:
    from edge.core.scanner_keys import KEY_ENTER, KEY_LEFTSHIFT, keystroke_for

    ui = evdev.UInput(name="fulfil-test-scanner", vendor=0x05E0, product=0x1200)
    try:
        time.sleep(0.3)  # let udev create the node
        scanner = EvdevScanner("uinput", EvdevSource(path=ui.device.path), profile())
        scans: list[str] = []
        scanner.on_scan(scans.append)
        scanner.open()
        try:
            assert wait_for(lambda: scanner.state()[0] == "ok")
            for ch in "Ab-12":
                stroke = keystroke_for(ch)
                if stroke.shift:
                    ui.write(evdev.ecodes.EV_KEY, KEY_LEFTSHIFT, 1)
                ui.write(evdev.ecodes.EV_KEY, stroke.code, 1)
                ui.write(evdev.ecodes.EV_KEY, stroke.code, 0)
                if stroke.shift:
                    ui.write(evdev.ecodes.EV_KEY, KEY_LEFTSHIFT, 0)
                ui.syn()
            ui.write(evdev.ecodes.EV_KEY, KEY_ENTER, 1)
            ui.write(evdev.ecodes.EV_KEY, KEY_ENTER, 0)
            ui.syn()
            assert wait_for(lambda: scans == ["Ab-12"])
        finally:
            scanner.close()
    finally:
        ui.close()


@pytest.mark.skipif(not os.environ.get("FULFIL_TEST_SCANNER"),
                    reason="set FULFIL_TEST_SCANNER to a /dev/input/by-id/... scanner")
def test_real_scanner() -> None:
    scanner = EvdevScanner("real", EvdevSource(path=os.environ["FULFIL_TEST_SCANNER"]),
                           profile())
    scans: list[str] = []
    scanner.on_scan(scans.append)
    scanner.open()
    try:
        assert wait_for(lambda: scanner.state()[0] == "ok"), scanner.state()
        expected = os.environ.get("FULFIL_TEST_SCAN_CODE")
        if expected:
            assert wait_for(lambda: expected in scans, timeout=20), scans
    finally:
        scanner.close()
