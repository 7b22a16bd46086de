"""Engine creation: SQLite in WAL mode with writer transactions that take the lock at BEGIN,
PostgreSQL through psycopg 3."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **{"pool_size": 10, "max_overflow": 20, **kwargs})
    _ping_when_idle(engine)
    return engine


IDLE_PING_S = 30.0


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it sat idle ``IDLE_PING_S`` or more (the
    server restarted, a firewall dropped it); a dead one is replaced before the caller sees it.
    SQLAlchemy's ``pool_pre_ping`` would ping on every checkout: a round trip added to every
    transaction, a fifth of a scan's time in the hub. A connection that breaks while in
    steady use fails its statement instead and the pool is renewed."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            dbapi_connection.execute("SELECT 1")
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` so a transaction that will write holds the
    write lock from its start (SQLite ignores SELECT ... FOR UPDATE). Read-only units of work
    ask for ``sqlite_begin=DEFERRED`` and so never wait for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


OUTBOX_QUEUED = "fulfil_outbox_queued"


def note_outbox_queued(session: Session) -> None:
    """Mark the session's transaction as having queued outbox rows, so the dispatcher is
    woken once it commits (and not after transactions that queued nothing)."""
    session.info[OUTBOX_QUEUED] = True
