"""The courier tables come from their own Alembic revision on a fresh database."""

from __future__ import annotations

from sqlalchemy import inspect

from hub.adapters import migrate
from hub.adapters.db import make_engine
from hub.adapters.orm_couriers import courier_bookings, courier_manifests


def test_fresh_database_migrates_to_the_courier_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        inspector = inspect(engine)
        for table in (courier_bookings, courier_manifests):
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}
        with engine.connect() as conn:
            heads = {row[0] for row in conn.exec_driver_sql(
                "SELECT version_num FROM alembic_version")}
        assert "couriers_0001" in heads
    finally:
        engine.dispose()
