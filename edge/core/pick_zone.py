"""Put-to-light pick zone as a pure state machine.

Tasks queue first in, first out; the current pick of the first task is lit in the task's
colour with its quantity. The right barcode or the slot's confirm button confirms it, the
short button reports it short, a wrong barcode is rejected and blinks the slot red.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.core.commands import SeenCommands, is_expired
from edge.core.effects import (
    WRONG_SCAN_COLOUR,
    AckCommand,
    ClearAll,
    ClearSlot,
    Effect,
    LightSlot,
    Publish,
)
from edge.core.readings import ButtonPress
from edge.wire.messages import (
    CancelTask,
    CommandBase,
    PickConfirmed,
    PickLine,
    PickShort,
    PickTask,
    ScanRejected,
)


@dataclass
class _Held:
    task: PickTask
    next_pick: int = 0

    @property
    def pick(self) -> PickLine:
        return self.task.picks[self.next_pick]

    @property
    def order_id(self) -> str:
        """The order of the current pick (a wave trip picks for several orders)."""
        return self.pick.order_id or self.task.order_id


class PickZone:
    def __init__(self, slots: Iterable[str]) -> None:
        self.slots = frozenset(slots)
        self._queue: list[_Held] = []
        self._seen = SeenCommands()

    # --- queries (for the agent, its status and the simulated operator) --------------------

    @property
    def held_tasks(self) -> list[PickTask]:
        return [h.task for h in self._queue]

    def current(self) -> tuple[PickTask, PickLine] | None:
        if not self._queue:
            return None
        head = self._queue[0]
        return head.task, head.pick

    def barcode_at(self, location: str) -> str | None:
        """The barcode of the item the current pick wants at ``location`` (the shelf label)."""
        now = self.current()
        if now is not None and now[1].location == location:
            return now[1].barcode
        return None

    # --- inputs ---------------------------------------------------------------------------

    def command(self, command: CommandBase, now: datetime) -> list[Effect]:
        if command.command_id in self._seen:
            return []
        if is_expired(command, now):
            self._seen.add(command.command_id)
            return [AckCommand(command.command_id, "expired",
                               f"expired at {command.expires_at}")]
        if isinstance(command, PickTask):
            effects = self._add_task(command)
        elif isinstance(command, CancelTask):
            effects = self._cancel(command)
        else:
            effects = [AckCommand(command.command_id, "rejected",
                                  f"a pick zone does not accept {type(command).__name__}")]
        self._seen.add(command.command_id)
        return effects

    def scan(self, barcode: str) -> list[Effect]:
        if not self._queue:
            return [Publish(ScanRejected, {"context": "pick", "barcode": barcode,
                                           "reason": "no_active_task"})]
        head = self._queue[0]
        pick = head.pick
        if barcode == pick.barcode:
            return self._confirm(head, "scan")
        return [
            Publish(ScanRejected, {"context": "pick", "barcode": barcode,
                                   "reason": "wrong_item", "order_id": head.order_id,
                                   "task_id": head.task.task_id}),
            LightSlot(pick.location, WRONG_SCAN_COLOUR, pick.qty, blink=True),
        ]

    def button(self, press: ButtonPress) -> list[Effect]:
        """Buttons act only on the slot of the current pick; others are ignored."""
        if not self._queue or press.slot != self._queue[0].pick.location:
            return []
        head = self._queue[0]
        if press.kind == "confirm":
            return self._confirm(head, "button")
        pick = head.pick
        event = Publish(PickShort, {
            "task_id": head.task.task_id, "pick_id": pick.pick_id,
            "order_id": head.order_id, "sku": pick.sku, "location": pick.location,
            "qty_picked": 0, "qty_short": pick.qty})
        return [event, *self._advance(head)]

    def relight(self) -> list[Effect]:
        """Effects that put the lights back as the state says (after a restart)."""
        return [ClearAll(), *self._light_current()]

    # --- persistence ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "tasks": [{"task": h.task.model_dump(mode="json"), "next_pick": h.next_pick}
                      for h in self._queue],
            "seen": self._seen.to_list(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        self._queue = [_Held(PickTask.model_validate(t["task"]), int(t["next_pick"]))
                       for t in data.get("tasks", [])]
        self._seen = SeenCommands.from_list(list(data.get("seen", [])))

    # --- internals ------------------------------------------------------------------------

    def _add_task(self, task: PickTask) -> list[Effect]:
        if any(h.task.task_id == task.task_id for h in self._queue):
            return [AckCommand(task.command_id, "done", "task already held")]
        missing = sorted({p.location for p in task.picks} - self.slots)
        if missing:
            return [AckCommand(task.command_id, "rejected",
                               f"no light for location(s) {', '.join(missing)} in this zone")]
        self._queue.append(_Held(task))
        effects: list[Effect] = [AckCommand(task.command_id, "done")]
        if len(self._queue) == 1:
            effects.extend(self._light_current())
        return effects

    def _cancel(self, cancel: CancelTask) -> list[Effect]:
        index = next((i for i, h in enumerate(self._queue)
                      if h.task.task_id == cancel.task_id), None)
        if index is None:
            return [AckCommand(cancel.command_id, "done", "task not held")]
        held = self._queue.pop(index)
        effects: list[Effect] = [AckCommand(cancel.command_id, "done")]
        if index == 0:
            effects.append(ClearSlot(held.pick.location))
            effects.extend(self._light_current())
        return effects

    def _confirm(self, head: _Held, method: str) -> list[Effect]:
        pick = head.pick
        event = Publish(PickConfirmed, {
            "task_id": head.task.task_id, "pick_id": pick.pick_id,
            "order_id": head.order_id, "sku": pick.sku, "location": pick.location,
            "qty": pick.qty, "method": method})
        return [event, *self._advance(head)]

    def _advance(self, head: _Held) -> list[Effect]:
        effects: list[Effect] = [ClearSlot(head.pick.location)]
        head.next_pick += 1
        if head.next_pick >= len(head.task.picks):
            self._queue.pop(0)
        effects.extend(self._light_current())
        return effects

    def _light_current(self) -> list[Effect]:
        if not self._queue:
            return []
        head = self._queue[0]
        return [LightSlot(head.pick.location, head.task.colour, head.pick.qty)]
