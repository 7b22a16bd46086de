"""``fulfil-edge``: run an agent from its config, simulate one, list local devices."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import structlog
import typer
from pydantic import ValidationError

from edge.agent import Agent, edge_version
from edge.config import DEFAULT_PROFILES_DIR, AgentConfig, DeviceConfig, load_config
from edge.errors import ConfigError, EdgeError
from edge.systemd import SystemdNotifier, WatchdogFeeder, watchdog_interval
from edge.wire.broker_url import parse_broker_url

if TYPE_CHECKING:
    from edge.devices.probe import Finding

app = typer.Typer(help="Fulfil edge agent for pick zones and pack benches.",
                  no_args_is_help=True, add_completion=False)
profiles_app = typer.Typer(help="Firmware profiles: schema, documentation, checks.",
                           no_args_is_help=True)
app.add_typer(profiles_app, name="profiles")

DEFAULT_PROFILES = {"scanner": "zebra-ds2208", "scale": "mettler-toledo-mt-sics",
                    "lights": "ptl-rgb-buttons", "printer": "epson-tm-t20iii-80mm"}


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


class _Stderr:
    """Whatever sys.stderr is at the time of writing (not the stream of configuration time,
    which a test runner may have closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level),
                        logger_factory=structlog.PrintLoggerFactory(_Stderr()))  # type: ignore[arg-type]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fulfil-edge {edge_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Fulfil edge agent."""


def _run_until_signalled(config: AgentConfig, **operator_options: float) -> None:
    from edge.devices.factory import build_peripherals
    from edge.outbox import Outbox
    from edge.profile_push import load_pushed

    try:
        stored = Outbox(config.outbox_path)
        try:  # profiles the hub pushed earlier replace the config's profile files
            pushed = {kind: p.profile for kind, p in load_pushed(stored).items()}
        finally:
            stored.close()
        peripherals = build_peripherals(config, pushed)
        agent = Agent(config, peripherals, operator_options=operator_options)
    except (EdgeError, ValueError, OSError, sqlite3.Error) as exc:
        _fail(str(exc))
        return
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    agent.start()
    typer.echo(f"fulfil-edge: {config.role} {config.device_id} at site {config.site} "
               f"-> {config.mqtt_url} (Ctrl-C to stop)")
    notifier, feeder = _systemd_start(agent)
    while not stop.wait(0.5):
        pass
    if feeder is not None:  # first, so that no feed can follow STOPPING=1
        feeder.stop()
    if notifier is not None:
        notifier.notify("STOPPING=1")
    agent.stop()
    if notifier is not None:
        notifier.close()
    typer.echo("fulfil-edge: stopped")


def _systemd_start(agent: Agent) -> tuple[SystemdNotifier | None, WatchdogFeeder | None]:
    """Under systemd Type=notify: READY=1 now, and the watchdog fed while all loops live."""
    notifier = SystemdNotifier.from_env()
    if notifier is None:
        return None, None
    notifier.notify("READY=1", f"STATUS={agent.config.role} {agent.config.device_id} running",
                    f"MAINPID={os.getpid()}")
    interval = watchdog_interval()
    if interval is None:
        return notifier, None
    feeder = WatchdogFeeder(notifier, interval, agent.dead_loops)
    feeder.start()
    return notifier, feeder


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="Agent config file (YAML).")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the agent described by a config file."""
    _configure_logging(verbose)
    try:
        agent_config = load_config(config)
        parse_broker_url(agent_config.mqtt_url)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
        return
    _run_until_signalled(agent_config)


@app.command()
def simulate(
    role: Annotated[str, typer.Option(help="pick_zone or pack_bench")],
    device_id: Annotated[str, typer.Option("--device-id")],
    site: Annotated[str, typer.Option()] = "default",
    mqtt_url: Annotated[str, typer.Option("--mqtt-url")] = "mqtt://127.0.0.1:1883",
    slots: Annotated[str, typer.Option(help="Comma-separated locations with a light.")] = "",
    outbox: Annotated[Path, typer.Option(help="Outbox SQLite file.")] = Path(
        "fulfil-edge-outbox.sqlite"),
    operator: Annotated[bool, typer.Option("--operator/--no-operator",
                                           help="A simulated person works the bench.")] = True,
    zone: Annotated[str | None, typer.Option()] = None,
    think_time: Annotated[float, typer.Option(
        "--think-time", min=0, help="Seconds the simulated person pauses per action.")] = 0.2,
    mistake_rate: Annotated[float, typer.Option(
        "--mistake-rate", min=0, max=1,
        help="Share of scans preceded by a wrong item.")] = 0.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run an agent whose devices are all simulated."""
    _configure_logging(verbose)
    try:
        config = simulated_config(role, device_id, site, mqtt_url, slots, outbox, operator, zone)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
        return
    _run_until_signalled(config, think_s=think_time, mistake_rate=mistake_rate)


def simulated_config(role: str, device_id: str, site: str, mqtt_url: str, slots: str,
                     outbox: Path, operator: bool, zone: str | None = None) -> AgentConfig:
    """An AgentConfig with every device of the role simulated."""
    if role == "pick_zone":
        names = [s.strip() for s in slots.split(",") if s.strip()]
        if not names:
            raise ConfigError("--slots: a pick zone needs at least one slot")
        devices = {"scanner": DeviceConfig(profile=DEFAULT_PROFILES["scanner"], simulate=True),
                   "lights": DeviceConfig(profile=DEFAULT_PROFILES["lights"], simulate=True,
                                          options={"slots": names})}
    elif role == "pack_bench":
        devices = {k: DeviceConfig(profile=DEFAULT_PROFILES[k], simulate=True)
                   for k in ("scanner", "scale", "printer")}
    else:
        raise ConfigError(f"--role: {role!r} must be pick_zone or pack_bench")
    parse_broker_url(mqtt_url)
    try:
        return AgentConfig(device_id=device_id, site=site, role=role, zone=zone,
                           mqtt_url=mqtt_url, outbox_path=outbox,
                           devices=devices,
                           simulate_operator=operator)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


@app.command()
def devices(
    input_paths: Annotated[list[str] | None, typer.Option(
        "--input", help="Input device to probe as a scanner (default: every "
        "/dev/input/by-id/*-event-* entry).")] = None,
    serial_ports: Annotated[list[str] | None, typer.Option(
        "--serial", help="Serial port to probe for a scale (default: /dev/serial/by-id/*).")
    ] = None,
    hidraw_paths: Annotated[list[str] | None, typer.Option(
        "--hidraw", help="hidraw node to probe for a USB HID POS scale (default: "
        "/dev/hidraw*).")] = None,
    printers: Annotated[list[str] | None, typer.Option(
        "--printer", help="Network printer to ask for its status: zpl://HOST[:PORT] or "
        "escpos://HOST[:PORT].")] = None,
    profiles_dir: Annotated[Path, typer.Option(
        "--profiles-dir", help="Firmware profiles whose settings the probes use.")
    ] = DEFAULT_PROFILES_DIR,
    timeout: Annotated[float, typer.Option(
        min=0.05, help="Seconds to wait for each answer.")] = 0.6,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """List and probe attached scanners, scales and printers."""
    from edge.devices import probe

    if verbose:
        _configure_logging(verbose)

    targets = probe.Targets(list(input_paths or []), list(serial_ports or []),
                            list(hidraw_paths or []), list(printers or []))
    targets.fill_defaults()
    if not profiles_dir.is_dir():
        _fail(f"--profiles-dir: {profiles_dir} is not a directory")
    scanners, problems = probe.load_kind(profiles_dir, "scanner")
    scales, more = probe.load_kind(profiles_dir, "scale")
    for problem in dict.fromkeys(problems + more):
        typer.secho(f"warning: skipped profile: {problem}", err=True, fg=typer.colors.YELLOW)
    candidates = probe.serial_candidates(scales)
    _section("Scanners (evdev)", [probe.probe_input(p, scanners) for p in targets.inputs],
             f"none found: no keyboard-type device in {probe.INPUT_BY_ID}")
    _section("Serial scales", [probe.probe_serial(p, candidates, timeout)
                               for p in targets.serial],
             f"none found: no port in {probe.SERIAL_BY_ID}")
    _section("USB HID POS scales", [probe.probe_hidraw(p, timeout) for p in targets.hidraw],
             "none found: no /dev/hidraw* node")
    _section("Printers", [probe.probe_printer(u, timeout) for u in targets.printers],
             "none given: network printers are not discovered; pass --printer "
             "zpl://HOST:9100 or escpos://HOST:9100")


def _section(title: str, findings: list[Finding], nothing: str) -> None:
    typer.secho(title, bold=True)
    if not findings:
        typer.echo(f"  {nothing}")
    for f in findings:
        mark = typer.style("ok", fg=typer.colors.GREEN) if f.ok else typer.style(
            "--", fg=typer.colors.YELLOW)
        typer.echo(f"  {mark} {f.where}: {f.summary}")
        for line in f.details:
            typer.echo(f"       {line}")


@profiles_app.command("schema")
def profiles_schema(
    kind: Annotated[str | None, typer.Option(
        help="scanner, scale, lights or printer; all kinds when left out.")] = None,
) -> None:
    """Print the JSON Schema of firmware profiles (every key with description and example)."""
    from edge.profiles import PROFILE_TYPES, profile_schema

    if kind is not None and kind not in PROFILE_TYPES:
        _fail(f"--kind: {kind!r} must be one of {', '.join(PROFILE_TYPES)}")
    typer.echo(json.dumps(profile_schema(kind), indent=2))  # type: ignore[arg-type]


@profiles_app.command("docs")
def profiles_docs() -> None:
    """Print the Markdown reference of every profile key (firmware_profiles/README.md)."""
    from edge.profile_doc import render

    typer.echo(render(), nl=False)


@profiles_app.command("check")
def profiles_check(
    files: Annotated[list[Path], typer.Argument(help="Profile YAML files to validate.")],
) -> None:
    """Validate profile files; name the file, key and reason of each bad one."""
    from edge.profiles import parse_profile
    from edge.yaml_files import read_yaml

    bad = 0
    for path in files:
        try:
            profile = parse_profile(read_yaml(path), str(path))
        except ConfigError as exc:
            bad += 1
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            continue
        typer.echo(f"{path}: ok ({profile.kind}, {profile.vendor} {profile.model})")
    if bad:
        raise typer.Exit(2)


if __name__ == "__main__":
    app()
