"""Pack bench as a pure state machine: scan the order, scan every item, weigh, print.

Jobs are held by ``order_ref``. Scanning an order_ref makes that job active; each item
barcode must match a line with quantity left. Once every item is scanned the next stable,
non-zero weight is checked against the expected weight; a mismatch holds the label until a
later stable reading is within tolerance. A ``PrintLabel`` is printed only for a verified
job (it waits otherwise); the agent reports the printer's answer with ``label_result``.
A scanned RMA code (a customer's return) is published as ``return_scanned`` and leaves the
jobs as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edge.core import effects as fx
from edge.core.commands import SeenCommands, is_expired
from edge.core.readings import WeightReading
from edge.wire import messages as wire

RMA_CODE = re.compile(wire.RMA_PATTERN)


@dataclass
class _Job:
    job: wire.PackJob
    scanned: list[int] = field(default_factory=list)
    weight_g: float | None = None  # set once verified
    label: wire.PrintLabel | None = None  # waiting or printing
    printing: bool = False

    def __post_init__(self) -> None:
        if not self.scanned:
            self.scanned = [0] * len(self.job.lines)

    @property
    def all_scanned(self) -> bool:
        return all(s >= line.qty for s, line in zip(self.scanned, self.job.lines, strict=True))


def expected_weight(job: wire.PackJob) -> float:
    return sum(line.unit_weight_g * line.qty for line in job.lines) + job.packaging_g


def tolerance_for(job: wire.PackJob, tolerance_g: float, tolerance_pct: float) -> float:
    """The job's own tolerance if set, else the larger of the absolute and relative one."""
    if job.tolerance_g is not None:
        return job.tolerance_g
    return max(tolerance_g, expected_weight(job) * tolerance_pct / 100.0)


class PackBench:
    def __init__(self, tolerance_g: float = 20.0, tolerance_pct: float = 3.0) -> None:
        self.tolerance_g = tolerance_g
        self.tolerance_pct = tolerance_pct
        self._jobs: dict[str, _Job] = {}
        self._active: str | None = None
        self._seen = SeenCommands()

    # --- queries --------------------------------------------------------------------------

    @property
    def held_jobs(self) -> list[wire.PackJob]:
        return [j.job for j in self._jobs.values()]

    @property
    def held_refs(self) -> list[str]:
        return list(self._jobs)

    @property
    def active_order_ref(self) -> str | None:
        return self._active

    def remaining(self, order_ref: str) -> dict[str, int]:
        """Quantity still to scan per SKU for a held job."""
        held = self._jobs[order_ref]
        left: dict[str, int] = {}
        for count, line in zip(held.scanned, held.job.lines, strict=True):
            left[line.sku] = left.get(line.sku, 0) + max(line.qty - count, 0)
        return left

    def is_verified(self, order_ref: str) -> bool:
        held = self._jobs.get(order_ref)
        return held is not None and held.weight_g is not None

    # --- inputs ---------------------------------------------------------------------------

    def command(self, command: wire.CommandBase, now: datetime) -> list[fx.Effect]:
        if command.command_id in self._seen:
            return []
        self._seen.add(command.command_id)
        if is_expired(command, now):
            return [fx.AckCommand(command.command_id, "expired",
                                  f"expired at {command.expires_at}")]
        if isinstance(command, wire.PackJob):
            return self._add_job(command)
        if isinstance(command, wire.PrintLabel):
            return self._print(command)
        return [fx.AckCommand(command.command_id, "rejected",
                              f"a pack bench does not accept {type(command).__name__}")]

    def scan(self, barcode: str) -> list[fx.Effect]:
        if RMA_CODE.match(barcode.strip().upper()):  # a returned parcel, not a pack job
            return [fx.Publish(wire.ReturnScanned, {"rma": barcode.strip().upper()})]
        active = self._jobs.get(self._active) if self._active is not None else None
        if active is not None:
            matching = [i for i, line in enumerate(active.job.lines) if line.barcode == barcode]
            if matching:
                for i in matching:
                    if active.scanned[i] < active.job.lines[i].qty:
                        active.scanned[i] += 1
                        return []
                return [self._rejected(barcode, "over_quantity", active)]
        if barcode in self._jobs:
            self._active = barcode
            return []
        if active is not None:
            return [self._rejected(barcode, "wrong_item", active)]
        return [self._rejected(barcode, "unknown_order", None)]

    def weight(self, reading: WeightReading) -> list[fx.Effect]:
        """Check the active, fully scanned job against a stable, non-zero reading."""
        if (not reading.stable or reading.grams is None or reading.error is not None
                or reading.grams <= 0 or self._active is None):
            return []
        held = self._jobs[self._active]
        if not held.all_scanned or held.weight_g is not None:
            return []
        expected = expected_weight(held.job)
        tolerance = tolerance_for(held.job, self.tolerance_g, self.tolerance_pct)
        figures = {"order_id": held.job.order_id, "weight_g": reading.grams,
                   "expected_g": round(expected, 3), "tolerance_g": round(tolerance, 3)}
        if abs(reading.grams - expected) > tolerance:
            return [fx.Publish(wire.WeightMismatch, figures)]
        held.weight_g = reading.grams
        lines = [{"sku": line.sku, "qty": line.qty} for line in held.job.lines]
        verified = fx.Publish(wire.PackVerified, {**figures, "lines": lines})
        return [verified, *self._start_print(held)]

    def label_result(self, command_id: str, error: str | None = None,
                     note: str | None = None) -> list[fx.Effect]:
        """The printer's answer to a ``PrintLabel`` effect; ``note`` goes into the ack reason
        of a printed label (e.g. that the courier's label fell back to the layout)."""
        ref, held = next(((r, j) for r, j in self._jobs.items()
                          if j.printing and j.label is not None
                          and j.label.command_id == command_id), (None, None))
        if ref is None or held is None or held.label is None:
            return []
        label = held.label
        held.printing = False
        held.label = None
        if error is not None:
            return [fx.AckCommand(command_id, "rejected", f"printer: {error}")]
        del self._jobs[ref]
        if self._active == ref:
            self._active = None
        return [
            fx.Publish(wire.LabelPrinted, {"order_id": label.order_id,
                                           "shipment_id": label.shipment_id,
                                           "tracking_number": label.label.tracking_number}),
            fx.AckCommand(command_id, "done", note),
        ]

    def resume(self) -> list[fx.Effect]:
        """After a restart: print again labels that were printing or waiting when it stopped."""
        out: list[fx.Effect] = []
        for held in self._jobs.values():
            held.printing = False
            out.extend(self._start_print(held))
        return out

    # --- persistence ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "jobs": [{"job": j.job.model_dump(mode="json"), "scanned": j.scanned,
                      "weight_g": j.weight_g,
                      "label": None if j.label is None else j.label.model_dump(mode="json")}
                     for j in self._jobs.values()],
            "active": self._active,
            "seen": self._seen.to_list(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        self._jobs = {}
        for item in data.get("jobs", []):
            job = wire.PackJob.model_validate(item["job"])
            label = item.get("label")
            self._jobs[job.order_ref] = _Job(
                job, list(item.get("scanned") or []), item.get("weight_g"),
                None if label is None else wire.PrintLabel.model_validate(label))
        active = data.get("active")
        self._active = active if active in self._jobs else None
        self._seen = SeenCommands.from_list(list(data.get("seen", [])))

    # --- internals ------------------------------------------------------------------------

    def _add_job(self, job: wire.PackJob) -> list[fx.Effect]:
        if job.order_ref in self._jobs:
            return [fx.AckCommand(job.command_id, "done", "job already held")]
        self._jobs[job.order_ref] = _Job(job)
        return [fx.AckCommand(job.command_id, "done")]

    def _print(self, command: wire.PrintLabel) -> list[fx.Effect]:
        held = next((j for j in self._jobs.values() if j.job.order_id == command.order_id), None)
        if held is None:
            return [fx.AckCommand(command.command_id, "rejected",
                                  f"no pack job held for order {command.order_id}")]
        if held.printing:
            return [fx.AckCommand(command.command_id, "rejected", "a label is printing")]
        if held.label is not None:  # an earlier label still waiting: this one replaces it
            previous = held.label.command_id
            held.label = command
            return [fx.AckCommand(previous, "rejected", "replaced by a newer label"),
                    *self._start_print(held)]
        held.label = command
        return self._start_print(held)

    def _start_print(self, held: _Job) -> list[fx.Effect]:
        """Print the waiting label once the job is verified (the weight check holds it)."""
        if held.label is None or held.weight_g is None or held.printing:
            return []
        held.printing = True
        label = held.label
        return [fx.PrintLabel(label.command_id, label.order_id, label.shipment_id, label.label,
                              label.courier_label, label.courier_label_note)]

    def _rejected(self, barcode: str, reason: str, held: _Job | None) -> fx.Publish:
        fields: dict[str, Any] = {"context": "pack", "barcode": barcode, "reason": reason}
        if held is not None:
            fields["order_id"] = held.job.order_id
        return fx.Publish(wire.ScanRejected, fields)
