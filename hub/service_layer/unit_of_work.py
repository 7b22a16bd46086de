"""Unit of work: one transaction, committed once, after which the order events are handed
to the bus. Handlers never commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.orm import Session

from hub.adapters.db import OUTBOX_QUEUED
from hub.adapters.repository import Repository
from hub.domain.events import Event


class UnitOfWork:
    repo: Repository

    def __init__(self, session_factory: Callable[[], Session], read_only: bool = False,
                 before_commit: Sequence[Callable[[UnitOfWork], None]] = (),
                 on_outbox: Callable[[], None] | None = None) -> None:
        self._session_factory = session_factory
        self.read_only = read_only
        self.before_commit = before_commit  # run in the transaction, e.g. to queue pushes
        self.on_outbox = on_outbox  # after a commit that queued outbox rows

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        if self.read_only:
            self.session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        self.repo = Repository(self.session)
        self._events: list[Event] = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed and detaches the objects with their
        # loaded values intact (rollback() would expire them).
        self.session.close()

    def flush(self) -> None:
        """Write what the orders recorded (timeline entries) and take their domain events."""
        for order in self.repo.seen:
            self.session.add_all(getattr(order, "new_timeline", []))
            order.new_timeline = []
            self._events.extend(getattr(order, "events", []))
            order.events = []
        self.session.flush()

    def commit(self) -> None:
        self.flush()
        for hook in self.before_commit:
            hook(self)
        queued = self.session.info.pop(OUTBOX_QUEUED, False)
        self.session.commit()
        if queued and self.on_outbox is not None:
            self.on_outbox()

    def rollback(self) -> None:
        """Undo the whole transaction and forget what it recorded."""
        self.session.rollback()
        self._forget_recorded()

    def _forget_recorded(self) -> None:
        self.repo.forget_locks()
        self._events.clear()
        for order in self.repo.seen:
            order.new_timeline = []
            order.events = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One step of a batch: undone alone (with what it recorded) when it raises."""
        nested = self.session.begin_nested()
        try:
            yield
            self.flush()
        except BaseException:
            nested.rollback()
            self._forget_recorded()
            raise
        nested.commit()

    def collect_new_events(self) -> Iterator[Event]:
        while self._events:
            yield self._events.pop(0)
