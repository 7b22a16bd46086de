"""Schemathesis over the hub's OpenAPI document: every operation, data that fits the schema
and data that does not, with a valid ops key and without any key. No answer may be a server
error (5xx) or break the documented response schema.

The examples are few per operation and derandomised (a fixed seed), so the run is the same
each time and short enough for CI; FULFIL_FUZZ_EXAMPLES raises the count for a long run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from hub.bootstrap import Hub, bootstrap
from hub.entrypoints.api.app import create_app
from hub.service_layer.api_keys import create_key
from tests.security.conftest import load_warehouse, security_settings

EXAMPLES = int(os.environ.get("FULFIL_FUZZ_EXAMPLES", "5"))
# server-sent events: an ops key holds the stream open for 30 s (tested in the dashboard tests)
LONG_LIVED = {"GET /dashboard/stream"}
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Hub, str]]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    hub = bootstrap(security_settings(f"sqlite:///{root / 'hub.sqlite'}",
                                      layout_path=str(root / "layout.yaml")))
    load_warehouse(hub)
    with hub.uow() as uow:
        ops = create_key(uow, hub.ctx, "fuzz", ["ops"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(hub))
    yield schema, hub, ops
    hub.stop()


def fuzz_operation(operation: Any, mode: GenerationMode, headers: dict[str, str],
                   examples: int) -> tuple[int, str | None]:
    """Run ``examples`` cases of one operation; returns (cases run, first failure)."""
    ran = 0

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate],  # no shrinking: report and go on
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        return ran, None  # nothing in the schema can be broken (e.g. only free-text ids)
    except Exception as exc:  # a failed check: name the operation and what broke
        return ran, f"{operation.label} [{mode.value}]: {str(exc)[:1500]}"
    return ran, None


@pytest.mark.parametrize("authenticated", [True, False], ids=["ops-key", "no-key"])
def test_no_server_errors_and_no_schema_violations(fuzzed: tuple[Any, Hub, str],
                                                   authenticated: bool) -> None:
    schema, _hub, ops = fuzzed
    headers = {"X-API-Key": ops} if authenticated else {}
    examples = EXAMPLES if authenticated else max(3, EXAMPLES // 2)
    failures: list[str] = []
    operations = cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if authenticated and operation.label in LONG_LIVED:
            continue
        # without a key every answer is 401 before the input is read: positive data suffices
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if authenticated else (
            GenerationMode.POSITIVE,)
        for mode in modes:
            ran, failure = fuzz_operation(operation, mode, headers, examples)
            cases += ran
            if failure:
                failures.append(failure)
    print(f"schemathesis: {operations} operations, {cases} cases, {len(failures)} failing")
    assert operations >= 55
    assert not failures, "\n\n".join(failures)


@pytest.mark.postgres
def test_nul_characters_and_huge_numbers_on_postgresql(postgres_url: str) -> None:
    """PostgreSQL refuses NUL in text and integers past 64 bits, where SQLite takes them:
    every operation, with such values in each path and query parameter, answers 4xx."""
    from fastapi.testclient import TestClient

    hub = bootstrap(security_settings(postgres_url))
    try:
        with hub.uow() as uow:
            ops = create_key(uow, hub.ctx, "fuzz", ["ops"])
        app = create_app(hub)
        client = TestClient(app, raise_server_exceptions=False)
        checked = 0
        for path, item in app.openapi()["paths"].items():
            for method, operation in item.items():
                if f"{method.upper()} {path}" in LONG_LIVED:
                    continue
                query = {p["name"]: "a\x00b" if p.get("schema", {}).get("type") != "integer"
                         else str(2**70) for p in operation.get("parameters", [])
                         if p["in"] == "query"}
                for value in ("a%00b", str(2**70)):
                    url = path
                    for p in operation.get("parameters", []):
                        if p["in"] == "path":
                            url = url.replace("{" + p["name"] + "}", value)
                    answer = client.request(method.upper(), url, params=query,
                                            headers={"X-API-Key": ops})
                    assert answer.status_code < 500, f"{method} {url}: {answer.text}"
                    checked += 1
        assert checked >= 100
    finally:
        hub.stop()
