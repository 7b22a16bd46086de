"""Shared fixtures. Append new fixtures; keep the ones already here."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("FULFIL_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip when a service is missing, or fail in CI (FULFIL_REQUIRE_SERVICES=1), where every
    test must run."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} [FULFIL_REQUIRE_SERVICES=1]")
    pytest.skip(reason)

MOSQUITTO_HOST, MOSQUITTO_PORT = "127.0.0.1", 1883


def _reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mosquitto_url() -> str:
    """URL of the Mosquitto broker on 127.0.0.1:1883; skips the test when it is down."""
    if not _reachable(MOSQUITTO_HOST, MOSQUITTO_PORT):
        skip_or_fail(f"Mosquitto is not reachable on {MOSQUITTO_HOST}:{MOSQUITTO_PORT} "
                    "(start it with: mosquitto -d -c /etc/mosquitto/mosquitto.conf)")
    return f"mqtt://{MOSQUITTO_HOST}:{MOSQUITTO_PORT}"


@pytest.fixture
def unique_site() -> str:
    """A site name no other test uses, so retained messages and topics never mix."""
    return f"t{uuid.uuid4().hex[:12]}"


# --- databases ------------------------------------------------------------------------------

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
POSTGRES_ADMIN_URL = os.environ.get("FULFIL_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    if not _reachable(POSTGRES_HOST, POSTGRES_PORT):
        skip_or_fail(f"PostgreSQL is not reachable on {POSTGRES_HOST}:{POSTGRES_PORT} (start it "
                     "with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "
                     "start)")
    import psycopg

    name = f"fulfil_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.sqlite'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))
