"""``fulfil-edge devices`` probes real drivers' ways of talking against the simulators.

Serial scales: a pty simulator of each dialect, passed with --serial. Linux ptys refuse
7-bit/parity line settings, so those tests use a copy of the shipped profiles with 8N1 lines
(as the simulated agent does); one test shows the shipped 7E1 line really is tried.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge.cli import app
from edge.config import DEFAULT_PROFILES_DIR
from edge.sim.hid_scale_sim import HidScaleSimulator
from edge.sim.printer_capture import Tcp9100Capture
from edge.sim.scale_dialect_sims import SIMULATORS

pytest.importorskip("serial")
runner = CliRunner()
DIALECTS = ["mt_sics", "toledo_8217", "nci_scp12", "cas_continuous", "adam"]
SECTIONS = ["Scanners (evdev)", "Serial scales", "USB HID POS scales", "Printers"]


@pytest.fixture
def pty_profiles(tmp_path: Path) -> Path:
    """The shipped profiles, with every serial line set to 8N1 (what a pty can take)."""
    for path in DEFAULT_PROFILES_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if data["kind"] == "scale" and data["dialect"] != "hid_pos":
            data.setdefault("serial", {}).update(bytesize=8, parity="N")
        (tmp_path / path.name).write_text(yaml.safe_dump(data))
    return tmp_path


def devices(*args: str) -> str:
    result = runner.invoke(app, ["devices", *args])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def line_for(output: str, where: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip().startswith(("ok ", "-- "))
             and where in ln]
    assert len(lines) == 1, output
    return lines[0].strip()


@pytest.fixture
def sims() -> Iterator[list]:
    started: list = []
    yield started
    for sim in started:
        sim.close()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_serial_dialect_is_recognised(dialect: str, pty_profiles: Path,
                                           sims: list) -> None:
    sim = SIMULATORS[dialect](settle_s=0.0)
    sims.append(sim)
    sim.place(1250)
    time.sleep(0.1)
    output = devices("--serial", sim.slave_path, "--profiles-dir", str(pty_profiles),
                     "--input", "/nonexistent/event-kbd", "--hidraw", "/nonexistent/hidraw")
    found = line_for(output, sim.slave_path)
    assert found.startswith(f"ok {sim.slave_path} -> /dev/pts/"), found
    assert f": {dialect} answered (" in found
    grams = float(re.search(r"([\d.]+) g, stable", found).group(1))  # type: ignore[union-attr]
    assert abs(grams - 1250) < 10  # frames carry 2-3 decimals of lb/kg
    others = [d for d in DIALECTS if d != dialect]
    assert not any(f"{d} answered" in output for d in others)


def test_the_profile_line_settings_are_used(sims: list) -> None:
    """With the shipped profiles the 7E1 dialects are tried at 7E1 (a pty refuses it)."""
    sim = SIMULATORS["mt_sics"](settle_s=0.0)
    sims.append(sim)
    sim.place(500)
    output = devices("--serial", sim.slave_path, "--hidraw", "/nonexistent/hidraw")
    assert "mt_sics answered (9600 8N1, profile mettler-toledo-mt-sics): 500 g, stable" in output
    assert "toledo_8217 at 9600 7E1: port refused 9600 7E1" in output


def test_a_port_in_use_is_named(pty_profiles: Path, sims: list) -> None:
    import serial

    sim = SIMULATORS["mt_sics"](settle_s=0.0)
    sims.append(sim)
    held = serial.Serial(sim.slave_path, exclusive=True)  # as the running agent holds it
    try:
        output = devices("--serial", sim.slave_path, "--profiles-dir", str(pty_profiles),
                         "--hidraw", "/nonexistent/hidraw")
    finally:
        held.close()
    found = line_for(output, sim.slave_path)
    assert found.startswith("-- ") and "cannot use the port: " in found
    assert "lock" in found.lower() and "is the agent running?" in found


def test_a_silent_scale_and_a_missing_port_are_named(pty_profiles: Path, sims: list) -> None:
    sim = SIMULATORS["mt_sics"](settle_s=0.0)
    sims.append(sim)
    sim.mute()
    output = devices("--serial", sim.slave_path, "--serial", "/nonexistent/ttyUSB9",
                     "--profiles-dir", str(pty_profiles), "--timeout", "0.2")
    silent = line_for(output, sim.slave_path)
    assert silent.startswith("-- ") and "no scale dialect answered" in silent
    for dialect in DIALECTS:
        assert re.search(rf"^\s+{dialect} at \d+ 8N1: no answer", output, re.M), output
    assert "-- /nonexistent/ttyUSB9: no such port" in output


def test_hid_pos_scale(sims: list) -> None:
    sim = HidScaleSimulator(settle_s=0.0)
    sims.append(sim)
    sim.place(812)
    output = devices("--hidraw", sim.path, "--hidraw", "/dev/null",
                     "--serial", "/nonexistent/tty")
    assert f"ok {sim.path}: hid_pos scale report: 812 g, stable" in output, output
    assert "-- /dev/null: no report within 0.6 s (not a HID POS scale)" in output


def test_printers_by_url() -> None:
    server = Tcp9100Capture()
    try:
        url = f"127.0.0.1:{server.port}"
        output = devices("--printer", f"zpl://{url}", "--printer", f"escpos://{url}",
                         "--hidraw", "/nonexistent/hidraw", "--serial", "/nonexistent/tty")
        assert f"ok zpl://{url}: zpl printer: ready" in output
        assert f"ok escpos://{url}: escpos printer: online, paper ok" in output
        server.paper_out = True
        output = devices("--printer", f"zpl://{url}", "--printer", f"escpos://{url}",
                         "--hidraw", "/nonexistent/hidraw", "--serial", "/nonexistent/tty")
        assert f"-- zpl://{url}: zpl printer: error: paper out" in output
        assert f"-- escpos://{url}: escpos printer: OFFLINE, paper out" in output
        assert server.labels_printed() == 0  # status queries are not print jobs
    finally:
        server.close()
    output = devices("--printer", f"zpl://{url}", "--printer", "lpd://x",
                     "--hidraw", "/nonexistent/hidraw", "--serial", "/nonexistent/tty")
    assert f"-- zpl://{url}: zpl printer: offline" in output
    assert "-- lpd://x: bad printer URL: use zpl://HOST[:PORT] or escpos://HOST[:PORT]" in output


def test_every_section_lists_or_says_none() -> None:
    """On any host: each section has findings or says why there are none."""
    lines = devices("--timeout", "0.1").splitlines()
    for title in SECTIONS:
        following = lines[lines.index(title) + 1].strip()
        assert following.startswith(("ok ", "-- ", "none found: ", "none given: ")), following


def test_not_a_device_is_a_clear_message(tmp_path: Path) -> None:
    output = devices("--input", "/etc/hostname", "--serial", "/dev/null",
                     "--hidraw", "/nonexistent/hidraw")
    assert "-- /etc/hostname: cannot open: " in output
    assert "-- /dev/null: cannot use the port: Could not configure port" in output
    result = runner.invoke(app, ["devices", "--profiles-dir", str(tmp_path / "none")])
    assert result.exit_code == 2 and "--profiles-dir" in result.output


def test_a_printer_that_accepts_but_never_answers() -> None:
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept_two() -> None:
        for _ in range(2):
            held.append(server.accept()[0])

    acceptor = threading.Thread(target=accept_two)
    acceptor.start()
    url = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        output = devices("--printer", f"zpl://{url}", "--printer", f"escpos://{url}",
                         "--timeout", "0.3", "--hidraw", "/nonexistent", "--serial", "/nonexistent")
    finally:
        acceptor.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
    assert f"-- zpl://{url}: zpl printer: reachable, but no answer to the host status query" \
        in output
    assert f"-- escpos://{url}: escpos printer: reachable, but no answer to the real-time " \
        "status query (DLE EOT)" in output
