"""Wires a role (pick zone or pack bench) to its peripherals and the MQTT link.

One worker thread owns the state machine: commands from the link, scans, button presses
and weight readings arrive on a queue and are applied one at a time. Events and the new
state are committed to the outbox in one transaction before lights or printer move, so a
``kill -9`` loses nothing already accepted and the agent keeps working through outages.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from edge.config import AgentConfig
from edge.core import effects as fx
from edge.core.courier_label import ack_reason
from edge.core.pack_bench import PackBench
from edge.core.pick_zone import PickZone
from edge.core.readings import ButtonPress, WeightReading
from edge.devices.base import Lights, Peripheral, Printer, Scale, Scanner
from edge.link import Link, LinkSettings, PeripheralReport
from edge.outbox import Outbox
from edge.wire.messages import (
    ApplyProfile,
    CommandAck,
    CommandBase,
    EventBase,
    PackJob,
    PickTask,
    PrinterInfo,
)

if TYPE_CHECKING:
    from edge.sim.operator import Operator

log = structlog.get_logger("edge.agent")

STATE_KEY = "state:{role}"
SEEN_COMMANDS_KEY = "commands_seen"
SEEN_COMMANDS_KEPT = 1000  # command ids remembered to ignore redelivered commands
_STOP = object()


def edge_version() -> str:
    try:
        return version("fulfil")
    except PackageNotFoundError:
        return "0.0.0"


class PeripheralSet(Protocol):
    """What the agent needs of edge.devices.factory.Peripherals."""

    scanner: Scanner | None
    scale: Scale | None
    lights: Lights | None
    printer: Printer | None

    def all(self) -> list[Peripheral]: ...
    def open_all(self) -> None: ...
    def close_all(self) -> None: ...


class Agent:
    def __init__(self, config: AgentConfig, peripherals: PeripheralSet,
                 *, resend_after_s: float = 5.0,
                 operator_options: dict[str, Any] | None = None) -> None:
        self.config = config
        self._operator_options = operator_options or {}
        self.peripherals = peripherals
        self.outbox = Outbox(config.outbox_path, config.outbox_sync)
        self._lock = threading.RLock()
        self._inputs: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_states: dict[str, tuple[str, str | None]] = {}
        self._state_key = STATE_KEY.format(role=config.role)
        self.operator: Operator | None = None
        slots = list(peripherals.lights.slots) if peripherals.lights is not None else []
        self.machine: PickZone | PackBench
        if config.role == "pick_zone":
            self.machine = PickZone(slots)
        else:
            self.machine = PackBench(config.pack.tolerance_g, config.pack.tolerance_pct)
        seen = self.outbox.get(SEEN_COMMANDS_KEY)
        self._seen_commands: list[str] = json.loads(seen) if seen else []
        saved = self.outbox.get(self._state_key)
        if saved:
            self.machine.restore(json.loads(saved))
            log.info("state_restored", role=config.role)
        from edge.profile_push import ProfileSwitcher

        self.profiles = ProfileSwitcher(config, peripherals, self.outbox, self._wire)
        self.link = Link(
            LinkSettings(device_id=config.device_id, site=config.site, mqtt_url=config.mqtt_url,
                         tls_files=tls_files(config),
                         role=config.role, zone=config.zone, locations=slots,
                         version=edge_version(), health_interval_s=config.health_interval_s,
                         resend_after_s=resend_after_s),
            self.outbox, on_command=self.submit_command, peripherals=self.reports,
            profiles=self.profiles.running, printer=self._printer_info)

    def _printer_info(self) -> PrinterInfo | None:
        printer = self.peripherals.printer  # read each time: a profile push may swap it
        return printer.info() if printer is not None else None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        p = self.peripherals
        for device in p.all():
            self._wire(device)
        try:
            p.open_all()
        except Exception as exc:  # work on with what opens; states report the rest
            log.error("peripherals_open_failed", error=str(exc))
            for device in p.all():
                try:
                    device.open()
                except Exception as one:
                    log.error("peripheral_open_failed", peripheral=device.name, error=str(one))
        self._last_states = {d.name: d.state() for d in p.all()}
        self._thread = threading.Thread(target=self._run, name="edge-agent", daemon=True)
        self._thread.start()
        self._inputs.put(("resume", None))
        self.link.start()
        if self.config.simulate_operator:
            from edge.sim.operator import start_operator

            self.operator = start_operator(self, getattr(p, "sim", None),
                                           **self._operator_options)
        log.info("agent_started", device_id=self.config.device_id, role=self.config.role)

    def _wire(self, device: Peripheral) -> None:
        """Attach the agent's input callbacks to a driver (at start, or after a swap)."""
        if isinstance(device, Scanner):
            device.on_scan(lambda code: self._inputs.put(("scan", code)))
        elif isinstance(device, Scale):
            device.on_reading(lambda reading: self._inputs.put(("weight", reading)))
        elif isinstance(device, Lights):
            device.on_button(lambda press: self._inputs.put(("button", press)))

    def stop(self, timeout: float = 5.0) -> None:
        if self.operator is not None:
            self.operator.stop(timeout)
        self._inputs.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
        self.link.stop()
        try:
            self.peripherals.close_all()
        except Exception:  # closing must go on whatever one device does
            log.exception("peripheral_close_failed")
        self.outbox.close()
        log.info("agent_stopped", device_id=self.config.device_id)

    # --- inputs (any thread) --------------------------------------------------------------

    def submit_command(self, command: CommandBase) -> None:
        self._inputs.put(("command", command))

    def submit_scan(self, barcode: str) -> None:
        self._inputs.put(("scan", barcode))

    def submit_button(self, press: ButtonPress) -> None:
        self._inputs.put(("button", press))

    def submit_weight(self, reading: WeightReading) -> None:
        self._inputs.put(("weight", reading))

    def idle(self) -> bool:
        """True when no input is waiting (for tests and the simulated operator)."""
        return self._inputs.unfinished_tasks == 0

    # --- queries (any thread) -------------------------------------------------------------

    def held_tasks(self) -> list[PickTask]:
        with self._lock:
            return self.machine.held_tasks if isinstance(self.machine, PickZone) else []

    def barcode_at(self, location: str) -> str | None:
        with self._lock:
            if isinstance(self.machine, PickZone):
                return self.machine.barcode_at(location)
            return None

    def held_jobs(self) -> list[PackJob]:
        with self._lock:
            return self.machine.held_jobs if isinstance(self.machine, PackBench) else []

    def pack_remaining(self, order_ref: str) -> int | None:
        """Items still to scan for a held pack job; None when the job is not held."""
        with self._lock:
            m = self.machine
            if not isinstance(m, PackBench) or order_ref not in m.held_refs:
                return None
            return sum(m.remaining(order_ref).values())

    def dead_loops(self) -> list[str]:
        """Names of the loops that are dead: the worker, the link, each device driver."""
        dead = []
        if self._thread is None or not self._thread.is_alive():
            dead.append("agent-worker")
        if not self.link.alive():
            dead.append("link")
        for device in self.peripherals.all():
            try:
                ok = device.alive()
            except Exception:  # a driver that cannot even answer is dead
                ok = False
            if not ok:
                dead.append(device.name)
        return dead

    def reports(self) -> Sequence[PeripheralReport]:
        out = []
        for device in self.peripherals.all():
            try:
                state, detail = device.state()
            except Exception as exc:  # a broken driver is reported, not raised
                state, detail = "error", str(exc)
            out.append(PeripheralReport(device.name, device.kind, state, detail))
        return out

    # --- worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._inputs.get(timeout=1.0)
            except queue.Empty:
                self._check_peripherals()
                continue
            try:
                if item is _STOP:
                    return
                self._handle(item[0], item[1])
            except Exception:  # one bad input must not stop the bench
                log.exception("input_failed", input=item[0] if isinstance(item, tuple) else item)
            finally:
                self._inputs.task_done()
            self._check_peripherals()

    def _handle(self, kind: str, value: Any) -> None:
        m = self.machine
        with self._lock:
            if kind == "command":
                log.info("command_received", type=type(value).__name__,
                         command_id=value.command_id)
                state: dict[str, str] = {}
                if value.command_id in self._seen_commands:
                    # a redelivery (hub resend after a restart): apply nothing, so a job
                    # finished before a kill -9 is not taken up again; its command_ack is
                    # already in the outbox and reaches the hub from there
                    log.info("command_duplicate", command_id=value.command_id)
                    effects = []
                else:
                    self._seen_commands.append(value.command_id)
                    del self._seen_commands[:-SEEN_COMMANDS_KEPT]
                    if isinstance(value, ApplyProfile):
                        effects, state = self.profiles.apply(value)
                    else:
                        effects = m.command(value, datetime.now(UTC))
                self._apply(effects, state)
                if state:
                    self.link.publish_status()
                    self._check_peripherals()
                return
            elif kind == "scan":
                log.info("barcode_scanned", barcode=value)
                effects = m.scan(value)
            elif kind == "button" and isinstance(m, PickZone):
                effects = m.button(value)
            elif kind == "weight" and isinstance(m, PackBench):
                effects = m.weight(value)
            elif kind == "resume":
                effects = m.relight() if isinstance(m, PickZone) else m.resume()
            else:
                effects = []
            self._apply(effects)

    def _apply(self, effects: list[fx.Effect], extra_state: dict[str, str] | None = None
               ) -> None:
        """Commit events and state first, then move the hardware (which may add effects)."""
        while True:
            events: list[EventBase] = []
            hardware: list[fx.Effect] = []
            for effect in effects:
                if isinstance(effect, fx.Publish):
                    events.append(self._event(effect.model, effect.fields))
                elif isinstance(effect, fx.AckCommand):
                    events.append(self._event(CommandAck, {
                        "command_id": effect.command_id, "status": effect.status,
                        "reason": effect.reason}))
                else:
                    hardware.append(effect)
            self.link.enqueue(events, {self._state_key: json.dumps(self.machine.snapshot()),
                                       SEEN_COMMANDS_KEY: json.dumps(self._seen_commands),
                                       **(extra_state or {})})
            extra_state = None
            for event in events:
                log.info("event_queued", type=event.type,  # type: ignore[attr-defined]
                         msg_id=event.msg_id)
            effects = []
            for effect in hardware:
                effects.extend(self._do(effect))
            if not effects:
                return

    def _event(self, model: type[EventBase], fields: dict[str, Any]) -> EventBase:
        extra = {"operator": self.config.operator} if self.config.operator else {}
        return self.link.build(model, **{**extra, **fields})

    def _do(self, effect: fx.Effect) -> list[fx.Effect]:
        lights, printer = self.peripherals.lights, self.peripherals.printer
        try:
            if isinstance(effect, fx.LightSlot) and lights is not None:
                lights.show(effect.slot, effect.colour, effect.qty, effect.blink)
            elif isinstance(effect, fx.ClearSlot) and lights is not None:
                lights.clear(effect.slot)
            elif isinstance(effect, fx.ClearAll) and lights is not None:
                lights.clear_all()
            elif isinstance(effect, fx.PrintLabel):
                return self._print(effect, printer)
        except Exception as exc:  # a light that fails is reported through its status
            log.error("lights_failed", effect=repr(effect), error=str(exc))
        return []

    def _print(self, effect: fx.PrintLabel, printer: Printer | None) -> list[fx.Effect]:
        assert isinstance(self.machine, PackBench)
        if printer is None:
            return self.machine.label_result(effect.command_id, "no printer configured")
        try:
            note = printer.print_label(effect.label, effect.courier_label)
        except Exception as exc:  # PrinterError and anything a driver lets through
            log.error("label_print_failed", order_id=effect.order_id, error=str(exc))
            return self.machine.label_result(effect.command_id, str(exc) or type(exc).__name__)
        note = ack_reason(effect.courier_label_note, note)
        log.info("label_printed", order_id=effect.order_id, shipment_id=effect.shipment_id,
                 courier_label=effect.courier_label is not None and note is None, note=note)
        return self.machine.label_result(effect.command_id, None, note)

    def _check_peripherals(self) -> None:
        """Publish a retained PeripheralStatus whenever a peripheral's state changes."""
        for report in self.reports():
            now = (report.state, report.detail)
            if self._last_states.get(report.name) != now:
                self._last_states[report.name] = now
                log.info("peripheral_state", peripheral=report.name, state=report.state,
                         detail=report.detail)
                self.link.publish_peripheral(report)


def tls_files(config: AgentConfig) -> tuple[str, str | None, str | None] | None:
    tls = config.mqtt_tls
    if tls is None:
        return None
    return (str(tls.ca_file), str(tls.cert_file) if tls.cert_file else None,
            str(tls.key_file) if tls.key_file else None)
