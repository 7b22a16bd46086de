"""/analytics, /metrics and the dashboard's data routes on a real server and database, over
timelines written by the real handlers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from hub.adapters.embedded_broker import free_port
from hub.analytics.report import build_report, plain
from hub.bootstrap import Hub
from hub.domain import commands
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.integration.hub.analytics_flow import run_order
from tests.integration.hub.conftest import order


@pytest.fixture
def served(warehouse: Hub) -> Iterator[tuple[httpx.Client, httpx.Client, Hub]]:
    """(ops client, channel client, hub) with four orders: one perfect, three not."""
    run_order(warehouse, "A-1", channel="shop")
    run_order(warehouse, "A-2", wrong_scan=True, mismatch=True, channel="shop")
    run_order(warehouse, "A-3", reprint=True, channel="phone")
    run_order(warehouse, "A-4", short=True, channel="phone")
    server = ApiServer(create_app(warehouse), "127.0.0.1", free_port())
    server.start()
    with warehouse.uow() as uow:
        ops = create_key(uow, warehouse.ctx, "ops", ["ops"])
        channel = create_key(uow, warehouse.ctx, "channel", ["channel"])
    yield (httpx.Client(base_url=server.url, headers={"X-API-Key": ops}, timeout=10),
           httpx.Client(base_url=server.url, headers={"X-API-Key": channel}, timeout=10),
           warehouse)
    server.stop()


def test_pop_and_its_causes_from_real_handler_events(served: tuple) -> None:  # type: ignore[type-arg]
    ops, _, _ = served
    by_channel = {row["group"]: row for row in ops.get("/analytics/pop?by=channel").json()}
    assert by_channel["shop"]["orders"] == 2 and by_channel["shop"]["perfect"] == 2
    assert by_channel["phone"]["perfect"] == 0
    assert by_channel["phone"]["causes"] == {"incomplete": 1, "wrong_documents": 1}
    imperfect = {v["order_id"]: v["reasons"] for v in ops.get("/analytics/pop/orders").json()}
    assert sorted(len(r) for r in imperfect.values()) == [1, 2]  # reprint; short + order short
    assert any(r == ["wrong_documents: label_printed"] for r in imperfect.values())
    by_day = ops.get("/analytics/pop?by=day").json()
    assert [(r["orders"], r["perfect"], r["pop"]) for r in by_day] == [(4, 2, 50.0)]


def test_errors_skips_and_steps_match_the_pure_functions(served: tuple) -> None:  # type: ignore[type-arg]
    ops, _, hub = served
    errors = {(r["step"], r["kind"]): r["count"] for r in ops.get("/analytics/errors").json()}
    assert errors == {(6, "wrong_item"): 1, (12, "weight_mismatch"): 1, (11, "label_reprint"): 1,
                      (6, "short_pick"): 1, (6, "short_order"): 1}
    skipped = {r["code"]: r["orders"] for r in ops.get("/analytics/skipped").json()}
    assert skipped["label_without_pack_check"] == 0
    assert skipped["packed_without_pick_confirmation"] == 0
    with hub.uow() as uow:
        expected = plain(build_report(uow.repo.all_timeline()))
    assert ops.get("/analytics/steps").json() == expected["steps"]
    assert ops.get("/analytics/report").json()["pop"] == expected["pop"]
    by_actor = ops.get("/analytics/steps?by=actor").json()
    assert {r["group"] for r in by_actor if r["step"] == 6} == {"zone-t/amy", "zone-t"}


def test_csv_export(served: tuple) -> None:  # type: ignore[type-arg]
    ops, _, _ = served
    response = ops.get("/analytics/steps", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "steps-by-step.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["step"]) for r in rows] == [r["step"] for r in ops.get("/analytics/steps").json()]
    assert {"p50_s", "p90_s", "p99_s", "queue_p50_s", "work_p50_s"} <= set(rows[0])
    pop_rows = list(csv.DictReader(io.StringIO(ops.get("/analytics/pop?by=channel&format=csv")
                                               .text)))
    phone = next(r for r in pop_rows if r["group"] == "phone")
    assert phone["causes"] == "incomplete=1;wrong_documents=1"
    skipped = ops.get("/analytics/skipped/orders?format=csv")
    assert skipped.status_code == 200


def test_bad_input_and_scopes(served: tuple) -> None:  # type: ignore[type-arg]
    ops, channel, _ = served
    bad = ops.get("/analytics/pop?by=colour")
    assert bad.status_code == 422 and "by" in bad.json()["detail"]
    assert ops.get("/analytics/steps?format=xml").status_code == 422
    reversed_range = ops.get("/analytics/pop?since=2026-03-02T00:00:00Z"
                             "&until=2026-03-01T00:00:00Z")
    assert reversed_range.status_code == 422 and "since" in reversed_range.json()["detail"]
    assert channel.get("/analytics/pop").status_code == 403
    assert httpx.get(f"{ops.base_url}/analytics/pop").status_code == 401
    future = ops.get("/analytics/pop?since=2100-01-01T00:00:00Z").json()
    assert future == []


def test_metrics(served: tuple) -> None:  # type: ignore[type-arg]
    ops, _, _ = served
    text = httpx.get(f"{ops.base_url}/metrics").text
    assert 'fulfil_orders{state="labelled"} 4.0' in text
    assert 'fulfil_step_duration_seconds_count{step="6",title="Items picked"} 4.0' in text
    assert 'fulfil_step_errors_total{kind="wrong_item",step="6"} 1.0' in text
    assert "fulfil_outbox_depth " in text
    assert "fulfil_mqtt_messages_published_total" in text or \
        "# HELP fulfil_mqtt_messages_published" in text


def test_dashboard_needs_an_ops_key_outside_demo_mode(served: tuple) -> None:  # type: ignore[type-arg]
    ops, channel, _ = served
    page = httpx.get(f"{ops.base_url}/dashboard/")
    assert page.status_code == 200 and "chart-steps" in page.text
    assert httpx.get(f"{ops.base_url}/dashboard/static/app.js").status_code == 200
    assert httpx.get(f"{ops.base_url}/dashboard/static/../app.py").status_code == 404
    assert httpx.get(f"{ops.base_url}/dashboard/api/access").json()["key_needed"] is True
    assert httpx.get(f"{ops.base_url}/dashboard/api/floor").status_code == 401
    assert channel.get("/dashboard/api/floor").status_code == 403
    floor = ops.get("/dashboard/api/floor").json()
    assert floor["orders"] == {"labelled": 4}
    assert floor["zones"] == [] and floor["benches"] == {}


def test_floor_shows_pick_progress_of_open_tasks(served: tuple) -> None:  # type: ignore[type-arg]
    ops, _, hub = served
    order_id, _ = hub.handle(order("F-1", ("TEE", 3), ("MUG", 1)))
    hub.handle(commands.ReleaseOrder(order_id))
    floor = ops.get("/dashboard/api/floor").json()
    assert floor["orders"] == {"labelled": 4, "released": 1}
    assert floor["zones"] == [{"zone": "A", "open_tasks": 1, "units": 4, "picked": 0,
                               "short": 0}]
    key = ops.headers["X-API-Key"]
    with httpx.stream("GET", f"{ops.base_url}/dashboard/stream?key={key}", timeout=10) as stream:
        seen = []
        for line in stream.iter_lines():
            if line.startswith("event: "):
                seen.append(line[7:])
            if {"floor", "report"} <= set(seen):
                break
    assert {"floor", "report"} <= set(seen)
