"""Pooled PostgreSQL connections are tested only after sitting idle: one the server dropped
meanwhile is replaced before use; one in steady use is not pinged (no extra round trip)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from hub.adapters import db
from tests.conftest import POSTGRES_ADMIN_URL


def drop_pooled_connection(engine: Engine) -> None:
    """Use one connection, return it to the pool, then end its server process."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_dropped_while_idle_is_replaced_unseen(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "IDLE_PING_S", 0.0)
    engine = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        drop_pooled_connection(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(postgres_url: str) -> None:
    engine = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        drop_pooled_connection(engine)  # returned a moment ago: not idle long enough
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:  # the broken one was discarded: a new one serves
            assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
    finally:
        engine.dispose()
