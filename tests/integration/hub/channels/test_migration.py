"""The channel tables come from their own Alembic revision and match the mapping."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hub.adapters import migrate
from hub.adapters.db import make_engine
from hub.adapters.orm import metadata

TABLES = {"channel_listings", "channel_quarantine", "channel_deliveries", "channel_cursors",
          "channel_orders", "channel_stock"}


def test_fresh_database_migrates_to_the_channel_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        ours = [change for change in diff if any(table in repr(change) for table in TABLES)]
        assert ours == []
    finally:
        engine.dispose()
