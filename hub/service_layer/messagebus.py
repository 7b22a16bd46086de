"""The message bus: one handler per command, any number per event; events raised by a
command's handler are handled after its commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from hub.domain.commands import Command
from hub.domain.events import Event
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

CommandHandler = Callable[[Any, UnitOfWork], Any]
EventHandler = Callable[[Any, UnitOfWork], None]


class MessageBus:
    def __init__(self, uow_factory: Callable[[], UnitOfWork],
                 command_handlers: dict[type[Command], CommandHandler],
                 event_handlers: dict[type[Event], list[EventHandler]]) -> None:
        self.uow_factory = uow_factory
        self.command_handlers = command_handlers
        self.event_handlers = event_handlers

    def handle(self, command: Command) -> Any:
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        with self.uow_factory() as uow:
            result = handler(command, uow)
            pending = list(uow.collect_new_events())
        self._dispatch(pending)
        return result

    def _dispatch(self, pending: list[Event]) -> None:
        while pending:
            event = pending.pop(0)
            for handler in self.event_handlers.get(type(event), []):
                try:
                    with self.uow_factory() as uow:
                        handler(event, uow)
                        pending.extend(uow.collect_new_events())
                except Exception:  # one failing reaction must not stop the others
                    log.exception("event_handler_failed", event=type(event).__name__,
                                  handler=getattr(handler, "__name__", repr(handler)))
