"""A simulated person working a bench through the simulated hardware only.

The picker watches which slots are lit (the mock GPIO pins) and scans the item at that
location, reading its barcode from the held task as a person reads the shelf label. The
packer scans each held order and its items, puts the parcel on the scale and takes it off
once the label has printed. Both think for a moment before every action and can be told to
scan a wrong item first now and then.
"""

from __future__ import annotations

import random
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from edge.core.pack_bench import expected_weight, tolerance_for

if TYPE_CHECKING:
    from edge.agent import Agent

log = structlog.get_logger("edge.sim.operator")

WRONG_BARCODE = "0000000000000"


class Operator(Protocol):
    def start(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...


class _Worker:
    def __init__(self, agent: Agent, controls: Any, think_s: float, mistake_rate: float,
                 seed: int | None) -> None:
        self.agent = agent
        self.controls = controls
        self.think_s = think_s
        self.mistake_rate = mistake_rate
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the simulated person shrugs and carries on
                log.exception("operator_step_failed")
            self._stop.wait(0.05)

    def step(self) -> None:
        raise NotImplementedError

    def _think(self) -> bool:
        """Pause; False when asked to stop meanwhile."""
        return not self._stop.wait(self._random.uniform(0.5, 1.5) * self.think_s)

    def _scan(self, barcode: str) -> None:
        if self.mistake_rate and self._random.random() < self.mistake_rate:
            log.info("operator_scans_wrong_item", barcode=WRONG_BARCODE)
            self.controls.scanner.type_barcode(WRONG_BARCODE)
            if not self._think():
                return
        self.controls.scanner.type_barcode(barcode)


class SimulatedPicker(_Worker):
    """Scans the item at each lit slot; waits for the light to change before rescanning."""

    retry_s = 3.0

    def __init__(self, agent: Agent, controls: Any, think_s: float = 0.2,
                 mistake_rate: float = 0.0, seed: int | None = None) -> None:
        super().__init__(agent, controls, think_s, mistake_rate, seed)
        self._last: tuple[str, str] | None = None
        self._last_at = 0.0

    def step(self) -> None:
        from edge.sim.gpio_mock import lit_slots

        lit = lit_slots(self.controls.lights)
        for slot in sorted(lit):
            barcode = self.agent.barcode_at(slot)
            if barcode is None:
                continue
            if (slot, barcode) == self._last and time.monotonic() - self._last_at < self.retry_s:
                return
            if not self._think():
                return
            log.info("operator_picks", slot=slot, barcode=barcode)
            self._scan(barcode)
            self._last, self._last_at = (slot, barcode), time.monotonic()
            return


class SimulatedPacker(_Worker):
    """Packs each held job in turn: order barcode, items, weight, label, parcel off."""

    label_timeout_s = 60.0

    def __init__(self, agent: Agent, controls: Any, think_s: float = 0.2,
                 mistake_rate: float = 0.0, seed: int | None = None) -> None:
        super().__init__(agent, controls, think_s, mistake_rate, seed)
        self._done: set[str] = set()

    def step(self) -> None:
        job = next((j for j in self.agent.held_jobs() if j.order_ref not in self._done), None)
        if job is None:
            return
        self._done.add(job.order_ref)
        log.info("operator_packs", order_ref=job.order_ref)
        if not self._think():
            return
        self.controls.scanner.type_barcode(job.order_ref)
        for line in job.lines:
            for _ in range(line.qty):
                if not self._think():
                    return
                self._scan(line.barcode)
        if not self._wait(lambda: self.agent.pack_remaining(job.order_ref) == 0, 15.0):
            log.warning("operator_items_not_taken", order_ref=job.order_ref)
            return
        tolerance = tolerance_for(job, self.agent.config.pack.tolerance_g,
                                  self.agent.config.pack.tolerance_pct)
        grams = expected_weight(job) + self._random.uniform(-0.3, 0.3) * tolerance
        printed = self.controls.printer.labels_printed()
        self.controls.scale.place(round(max(grams, 1.0), 1))
        if not self._wait(lambda: self.controls.printer.labels_printed() > printed,
                          self.label_timeout_s):
            log.warning("operator_no_label", order_ref=job.order_ref)
        self._think()
        self.controls.scale.remove()

    def _wait(self, condition: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if self._stop.wait(0.05):
                return False
        return bool(condition())


def start_operator(agent: Agent, controls: Any, think_s: float = 0.2,
                   mistake_rate: float = 0.0, seed: int | None = None) -> Operator | None:
    """Start the simulated person for the agent's role, if its simulated devices exist."""
    if controls is None or controls.scanner is None:
        log.warning("operator_needs_simulated_scanner")
        return None
    worker: _Worker
    if agent.config.role == "pick_zone":
        if controls.lights is None:
            log.warning("operator_needs_simulated_lights")
            return None
        worker = SimulatedPicker(agent, controls, think_s, mistake_rate, seed)
    else:
        if controls.scale is None or controls.printer is None:
            log.warning("operator_needs_simulated_scale_and_printer")
            return None
        worker = SimulatedPacker(agent, controls, think_s, mistake_rate, seed)
    worker.start()
    log.info("operator_started", role=agent.config.role)
    return worker
