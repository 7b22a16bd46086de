"""Find and probe attached hardware for ``fulfil-edge devices``.

Each probe opens the device the way its driver would and asks it something harmless:
scanners are opened with evdev (name, vendor:product, key capability); serial ports are
tried with the line settings of each serial scale profile and its dialect's request until
one dialect answers; hidraw nodes are read for a HID POS scale report; printers (given by
URL, they cannot be discovered) are asked for their status. A probe never raises: every
outcome, failures included, is a ``Finding`` with a one-line summary.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edge.core.hid_pos_scale import parse_report, split_reports
from edge.core.mtsics import parse_weight
from edge.core.readings import WeightReading
from edge.core.scale_dialect import Dialect, split_lines
from edge.devices.serial_scale import dialect_for
from edge.devices.zpl_printer import query_host_status
from edge.errors import ConfigError
from edge.profiles import ScaleProfile, ScannerProfile, SerialSettings, load_profile

INPUT_BY_ID = Path("/dev/input/by-id")
SERIAL_BY_ID = Path("/dev/serial/by-id")
DEV = Path("/dev")
SYS_HIDRAW = Path("/sys/class/hidraw")
# A listening probe first (sends nothing), then the dialect with a handshake, then polls.
DIALECT_ORDER = ("cas_continuous", "toledo_8217", "mt_sics", "nci_scp12", "adam")
TELLING_ERRORS = ("motion", "overload", "underload", "zero_range")


@dataclass(frozen=True)
class Finding:
    """What one probe found at ``where`` (a path or a URL)."""

    kind: str                # scanner, scale or printer
    where: str
    ok: bool                 # the device answered as the kind it was probed for
    summary: str
    details: tuple[str, ...] = ()


def _explain(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied (add the agent's user to the device's group, e.g. " \
               "'input' or 'dialout', or add a udev rule)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _shown(path: str) -> str:
    real = os.path.realpath(path)
    return path if real == path else f"{path} -> {real}"


def by_id_entries(folder: Path, contains: str = "") -> list[str]:
    if not folder.is_dir():
        return []
    return [str(p) for p in sorted(folder.iterdir()) if contains in p.name]


# --- scanners --------------------------------------------------------------------------


def probe_input(path: str, scanners: dict[str, ScannerProfile]) -> Finding:
    """Open an input device with evdev: name, vendor:product, keys, matching profiles."""
    try:
        import evdev
    except ImportError:
        return Finding("scanner", path, False, "evdev is not installed (pip install "
                       "'fulfil[edge]')")
    try:
        device = evdev.InputDevice(path)
    except Exception as exc:  # OSError: absent, no permission, not an evdev node
        return Finding("scanner", _shown(path), False, f"cannot open: {_explain(exc)}")
    try:
        ids = f"{device.info.vendor:04x}:{device.info.product:04x}"
        has_keys = evdev.ecodes.EV_KEY in device.capabilities()
        name = device.name
    except Exception as exc:
        return Finding("scanner", _shown(path), False, f"cannot query: {_explain(exc)}")
    finally:
        device.close()
    matches = [n for n, p in scanners.items()
               if f"{p.usb_vendor_id}:{p.usb_product_id}".lower() == ids]
    summary = f"{name!r} {ids}, " + ("has key events" if has_keys else "NO key events "
                                     "(not a keyboard-mode scanner)")
    details = (f"matches profile {', '.join(matches)}",) if matches else ()
    return Finding("scanner", _shown(path), has_keys, summary, details)


# --- serial scales ---------------------------------------------------------------------


@dataclass(frozen=True)
class _MtSics:
    """MT-SICS seen as a Dialect, for probing only (its driver does not need one)."""

    name: str = "mt_sics"
    poll: bytes | None = b"SI\r\n"
    probe: Any = None

    def split(self, buffer: bytes) -> tuple[list[bytes], bytes]:
        return split_lines(buffer)

    def parse(self, frame: bytes) -> WeightReading:
        return parse_weight(frame)


@dataclass(frozen=True)
class SerialCandidate:
    """One way to talk to a serial scale: a dialect on a line, from a profile."""

    profile: str
    dialect: str
    line: SerialSettings
    codec: Any  # a Dialect (edge.core.scale_dialect) or _MtSics

    @property
    def line_text(self) -> str:
        s = self.line
        return f"{s.baud} {s.bytesize}{s.parity}{s.stopbits}"


def load_kind(profiles_dir: Path, kind: str) -> tuple[dict[str, Any], list[str]]:
    """Profiles of one kind by name, and a message per profile that failed to load."""
    found: dict[str, Any] = {}
    problems: list[str] = []
    for path in sorted(profiles_dir.glob("*.yaml")):
        try:
            profile = load_profile(profiles_dir, path.stem)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if profile.kind == kind:
            found[path.stem] = profile
    return found, problems


def serial_candidates(scales: dict[str, ScaleProfile]) -> list[SerialCandidate]:
    """Every distinct (dialect, line) of the serial scale profiles, in probing order."""
    seen: set[tuple[str, SerialSettings]] = set()
    out: list[SerialCandidate] = []
    for name, p in scales.items():
        if p.dialect == "hid_pos" or (p.dialect, p.serial) in seen:
            continue
        seen.add((p.dialect, p.serial))
        codec: Any = _MtSics() if p.dialect == "mt_sics" else dialect_for(p)
        out.append(SerialCandidate(name, p.dialect, p.serial, codec))
    return sorted(out, key=lambda c: DIALECT_ORDER.index(c.dialect))


def describe_reading(r: WeightReading) -> str:
    if r.grams is None:
        return str(r.error)
    shown = f"{r.value:g} {r.unit} = " if r.value is not None and r.unit != "g" else ""
    state = "stable" if r.stable else (r.error or "unstable")
    return f"{shown}{r.grams:g} g, {state}"


def _read_until(port: Any, deadline: float, done: Callable[[bytes], bool]) -> bytes:
    got = b""
    while time.monotonic() < deadline and not done(got):
        got += port.read(port.in_waiting or 1)
    return got


def _try_dialect(path: str, c: SerialCandidate, timeout: float) -> tuple[bool, str]:
    """(answered, what happened) for one dialect on one port."""
    import serial

    s = c.line
    try:
        port = serial.Serial(path, baudrate=s.baud, bytesize=s.bytesize, parity=s.parity,
                             stopbits=s.stopbits, timeout=0.05, write_timeout=timeout,
                             exclusive=True)
    except Exception as exc:  # SerialException (OSError), ValueError, termios.error
        return False, f"port refused {c.line_text}: {_explain(exc)}"
    try:
        port.reset_input_buffer()
        deadline = time.monotonic() + timeout
        codec: Dialect = c.codec
        buffer = b""
        if codec.probe is not None:
            expect = codec.probe.expect
            port.write(codec.probe.request)
            got = _read_until(port, deadline, lambda b: expect in b)
            if expect not in got:
                return False, f"no answer to {codec.probe.request!r}"
            buffer = got[got.index(expect) + len(expect):]
            deadline = time.monotonic() + timeout
        if codec.poll is not None:  # a line end first ends any half command left by others
            port.write(s.eol.encode() + codec.poll if s.eol else codec.poll)
        frames = 0
        while time.monotonic() < deadline:
            chunk = port.read(port.in_waiting or 1)
            found, buffer = codec.split(buffer + chunk)
            for frame in found:
                frames += 1
                r = codec.parse(frame)
                if r.grams is not None or r.error in TELLING_ERRORS:
                    return True, describe_reading(r)
        if codec.probe is not None:
            return True, f"answered {codec.probe.request!r} (no weight frame yet)"
        return False, f"{frames} unreadable frame(s)" if frames else "no answer"
    except Exception as exc:  # the port went away mid-probe
        return False, f"port lost: {_explain(exc)}"
    finally:
        port.close()


def probe_serial(path: str, candidates: list[SerialCandidate], timeout: float) -> Finding:
    """Try each dialect on ``path`` until one answers with a weight or a scale state."""
    try:
        import serial  # noqa: F401
    except ImportError:
        return Finding("scale", path, False, "pyserial is not installed (pip install "
                       "'fulfil[edge]')")
    if not os.path.exists(path):
        return Finding("scale", path, False, "no such port")
    if not candidates:
        return Finding("scale", _shown(path), False, "no serial scale profiles to try")
    tried: list[str] = []
    for c in candidates:
        answered, what = _try_dialect(path, c, timeout)
        if answered:
            return Finding("scale", _shown(path), True,
                           f"{c.dialect} answered ({c.line_text}, profile {c.profile}): {what}",
                           tuple(tried))
        tried.append(f"{c.dialect} at {c.line_text}: {what}")
    if all(": port refused " in t for t in tried):  # busy, no permission, not a tty ...
        reasons = [t.split(": ", 2)[-1] for t in tried]
        hint = " (in use: is the agent running?)" if "lock" in reasons[0] else ""
        same = len(set(reasons)) == 1
        return Finding("scale", _shown(path), False, f"cannot use the port: {reasons[0]}{hint}",
                       () if same else tuple(tried))
    return Finding("scale", _shown(path), False,
                   "no scale dialect answered (an Adam scale answers only with a new, "
                   "non-zero weight: put something on it)", tuple(tried))


# --- USB HID POS scales ----------------------------------------------------------------


def hidraw_name(path: str) -> str | None:
    """HID_NAME and id of a /dev/hidrawN node from sysfs, when there is one."""
    uevent = SYS_HIDRAW / Path(os.path.realpath(path)).name / "device" / "uevent"
    try:
        fields = dict(line.split("=", 1) for line in uevent.read_text().splitlines()
                      if "=" in line)
    except OSError:
        return None
    bus_vendor_product = fields.get("HID_ID", "").split(":")
    ids = ""
    if len(bus_vendor_product) == 3:
        ids = f" {int(bus_vendor_product[1], 16):04x}:{int(bus_vendor_product[2], 16):04x}"
    return f"{fields.get('HID_NAME', '?')!r}{ids}"


def probe_hidraw(path: str, timeout: float) -> Finding:
    """Read reports from a hidraw node for ``timeout`` seconds; a POS scale sends them
    while its weight changes and every so often; the last one is shown."""
    name = hidraw_name(path)
    where = _shown(path) + (f" ({name})" if name else "")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return Finding("scale", where, False, f"cannot open: {_explain(exc)}")
    buffer, reports, latest = b"", 0, None
    try:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:  # the whole time: the last is current
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 64)
            except BlockingIOError:
                continue
            if not chunk:
                break
            found, buffer = split_reports(buffer + chunk)
            for report in found:
                reports += 1
                r = parse_report(report)
                latest = r if r.error != "garbage" else latest
    except OSError as exc:
        return Finding("scale", where, False, f"read failed: {_explain(exc)}")
    finally:
        os.close(fd)
    if latest is not None:
        return Finding("scale", where, True, f"hid_pos scale report: {describe_reading(latest)}")
    what = f"{reports} report(s), none a POS scale report" if reports else "no report"
    return Finding("scale", where, False, f"{what} within {timeout:g} s (not a HID POS scale)")


# --- printers --------------------------------------------------------------------------


def _escpos_status(host: str, port: int, timeout: float) -> tuple[bool, str]:
    from escpos.printer import Network

    printer = Network(host, port=port, timeout=timeout)
    try:
        printer.open()
        online = printer.is_online()
        paper = printer.paper_status()
    except Exception as exc:  # DeviceNotFoundError, TimeoutError ...
        if isinstance(exc, TimeoutError):
            return False, "reachable, but no answer to the real-time status query (DLE EOT)"
        return False, f"offline: {_explain(exc)}"
    finally:
        if printer.device:
            printer.close()
    paper_text = {0: "paper out", 1: "paper near end", 2: "paper ok"}.get(paper, "?")
    return online and paper != 0, f"{'online' if online else 'OFFLINE'}, {paper_text}"


def _zpl_status(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """Ask ``~HS`` as the ZPL driver does before every label."""
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return False, f"offline: {host}:{port}: {_explain(exc)}"
    with conn:
        status = query_host_status(conn, timeout)
    if status is None:
        return False, "reachable, but no answer to the host status query (~HS)"
    problem = status.problem
    return problem is None, "ready" if problem is None else f"error: {problem}"


PRINTER_SCHEMES = {"zpl": _zpl_status, "escpos": _escpos_status}


def probe_printer(url: str, timeout: float) -> Finding:
    """Ask a network printer (``zpl://host[:port]`` or ``escpos://host[:port]``) its status."""
    try:
        parts = urlsplit(url)
        port = parts.port or 9100
    except ValueError as exc:
        return Finding("printer", url, False, f"bad printer URL: {exc}")
    status = PRINTER_SCHEMES.get(parts.scheme)
    if status is None or not parts.hostname:
        return Finding("printer", url, False, "bad printer URL: use zpl://HOST[:PORT] or "
                       "escpos://HOST[:PORT]")
    try:
        ok, what = status(parts.hostname, port, timeout)
    except Exception as exc:
        return Finding("printer", url, False, f"status query failed: {_explain(exc)}")
    return Finding("printer", url, ok, f"{parts.scheme} printer: {what}")


@dataclass
class Targets:
    """What to probe; empty lists are filled from the usual /dev locations."""

    inputs: list[str] = field(default_factory=list)
    serial: list[str] = field(default_factory=list)
    hidraw: list[str] = field(default_factory=list)
    printers: list[str] = field(default_factory=list)

    def fill_defaults(self) -> None:
        self.inputs = self.inputs or by_id_entries(INPUT_BY_ID, "-event-")
        self.serial = self.serial or by_id_entries(SERIAL_BY_ID)
        self.hidraw = self.hidraw or [str(p) for p in sorted(DEV.glob("hidraw*"))]
