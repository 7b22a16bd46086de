"""The outbox dispatcher is woken by commits that queued something, not by every commit."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.service_layer.unit_of_work import UnitOfWork


def test_only_a_commit_that_queued_outbox_rows_signals(database_url: str) -> None:
    hub = bootstrap(Settings(database_url=database_url, site="wakeup"))
    signals: list[str] = []

    def unit() -> UnitOfWork:
        return UnitOfWork(hub.session_factory, on_outbox=lambda: signals.append("queued"))

    try:
        with unit() as uow:
            uow.repo.add_outbox("mqtt", "fulfil/wakeup/zone-a/cmd/pick_task", "{}",
                                datetime.now(UTC))
            uow.commit()
        assert signals == ["queued"]
        with unit() as uow:
            uow.repo.upsert_device("zone-a", site="wakeup", state="online", locations=[],
                                   peripherals={}, last_seen=datetime.now(UTC))
            uow.commit()
        assert signals == ["queued"]  # nothing queued: no wake-up
        with unit() as uow:  # queued but never committed: nothing to send, no wake-up
            uow.repo.add_outbox("mqtt", "fulfil/wakeup/zone-a/cmd/pick_task", "{}",
                                datetime.now(UTC))
        assert signals == ["queued"]
        with hub.uow(read_only=True) as uow:
            assert len(uow.repo.pending_outbox(10)) == 1
    finally:
        hub.stop()
