"""Many rows into one table inside the session's transaction, in as few round trips as the
driver allows: COPY on PostgreSQL (psycopg), executemany elsewhere (SQLite runs it in C)."""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        session.execute(insert(table), rows)
        return
    session.flush()  # rows the ORM still holds go first: these may refer to them
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
    except psycopg.IntegrityError as exc:  # as SQLAlchemy reports it for executemany
        raise IntegrityError(statement, None, exc) from exc
