"""``fulfil-edge devices`` on a real kernel input device (a uinput virtual keyboard).

Skips where /dev/uinput is absent or not writable (CI containers); the evdev probe is
otherwise only exercised on its error paths (tests/integration/edge_devices).
"""

from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from edge.cli import app

evdev = pytest.importorskip("evdev")


@pytest.mark.skipif(not os.access("/dev/uinput", os.W_OK), reason="no writable /dev/uinput")
def test_a_keyboard_with_the_scanner_ids_is_reported() -> None:
    ui = evdev.UInput(name="fulfil-probe-scanner", vendor=0x05E0, product=0x1200)
    try:
        time.sleep(0.3)  # let udev create the node
        result = CliRunner().invoke(app, ["devices", "--input", ui.device.path,
                                          "--serial", "/nonexistent", "--hidraw", "/nonexistent"])
    finally:
        ui.close()
    assert result.exit_code == 0
    assert "'fulfil-probe-scanner' 05e0:1200, has key events" in result.output
    assert "matches profile zebra-ds2208" in result.output
