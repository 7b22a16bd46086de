"""Fixtures of the fault tests: a broker process of the test's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.broker import BrokerProcess


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerProcess]:
    process = BrokerProcess(tmp_path)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def hub_database(request: pytest.FixtureRequest) -> str:
    """The hub's database in the stream tests: SQLite, or PostgreSQL with
    FULFIL_FAULTS_DATABASE=postgres."""
    kind = os.environ.get("FULFIL_FAULTS_DATABASE", "sqlite")
    if kind not in ("sqlite", "postgres"):
        raise pytest.UsageError("FULFIL_FAULTS_DATABASE is sqlite or postgres")
    return str(request.getfixturevalue(f"{kind}_url"))
