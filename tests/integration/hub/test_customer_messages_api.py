"""Message centre through the API: previews (per channel and language, with fallback),
opt-outs, an order's messages; review requests only for perfect orders; the migration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hub.adapters.orm import metadata
from hub.adapters.orm_customer import customer_messages
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.domain.timeline import Step
from hub.entrypoints import cli
from hub.entrypoints.api.app import create_app
from hub.service_layer.api_keys import create_key
from hub.service_layer.handlers import customer
from tests.integration.hub.conftest import ADDRESS, LOCATIONS, SKUS


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    override = tmp_path / "templates" / "amazon" / "en"
    override.mkdir(parents=True)
    (override / "shipped.subject.j2").write_text("Amazon order {{ order_ref }} dispatched\n")
    (override / "delay.subject.j2").write_text("Delayed {{ order_ref \n")  # a typo
    instance = bootstrap(Settings(database_url=database_url, site="test",
                                  message_templates_dir=str(tmp_path / "templates"),
                                  review_request_after_days=7,
                                  review_url="https://reviews.example/{order_ref}"))
    for sku in SKUS:
        instance.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        instance.handle(commands.AddLocation(*location))
    yield instance
    instance.stop()


@pytest.fixture
def api(hub: Hub) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with hub.uow() as uow:
        keys = {scope: create_key(uow, hub.ctx, f"{scope} key", [scope])
                for scope in ("ops", "channel")}
    with TestClient(create_app(hub)) as client:
        yield client, keys


def order(hub: Hub, ref: str, email: str | None = "ada@example.com", **ship_to: str) -> str:
    order_id, _ = hub.handle(commands.CreateOrder(
        channel="web", channel_ref=ref, lines=[commands.NewLine("MUG", 2)],
        ship_to={**ADDRESS, **ship_to}, payment_status="paid", customer_email=email))
    return str(order_id)


def test_preview(api: tuple[TestClient, dict[str, str]], hub: Hub) -> None:
    client, keys = api
    ops = {"X-API-Key": keys["ops"]}
    order_id = order(hub, "W-1", country="AT", name="Eva <b>Huber</b>")
    shown = client.post("/messages/preview", headers=ops,
                        json={"template": "order_confirmed", "order_id": order_id})
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["language"] == "de" and body["subject"] == "Ihre Bestellung W-1 ist bestätigt"
    assert "2 x Mug" in body["text"] and "Eva <b>Huber</b>" in body["text"]
    assert "Eva &lt;b&gt;Huber&lt;/b&gt;" in body["html"]  # escaped in HTML only
    # no German delay template: falls back to English
    delay = client.post("/messages/preview", headers=ops,
                        json={"template": "delay", "language": "de"}).json()
    assert delay["sources"][0] == "default/en/delay.subject.j2"
    # a channel's own subject, the default body
    amazon = client.post("/messages/preview", headers=ops, json={
        "template": "shipped", "channel": "amazon",
        "context": {"order_ref": "A-9", "tracking_url": "https://t.example/1"}}).json()
    assert amazon["subject"] == "Amazon order A-9 dispatched"
    assert amazon["sources"][1] == "default/en/shipped.txt.j2"
    assert '<a href="https://t.example/1">' in amazon["html"]
    assert "return_authorised" in client.get("/messages/templates", headers=ops).json()

    unknown = client.post("/messages/preview", headers=ops, json={"template": "nope"})
    assert unknown.status_code == 404 and "known:" in unknown.json()["detail"]
    missing = client.post("/messages/preview", headers=ops,
                          json={"template": "shipped", "order_id": "ord_missing"})
    assert missing.status_code == 404
    broken = client.post("/messages/preview", headers=ops,
                         json={"template": "delay", "channel": "amazon"})
    assert broken.status_code == 422 and "cannot be rendered" in broken.json()["detail"]
    forbidden = client.post("/messages/preview", headers={"X-API-Key": keys["channel"]},
                            json={"template": "shipped"})
    assert forbidden.status_code == 403


def test_opt_outs_and_order_messages(api: tuple[TestClient, dict[str, str]], hub: Hub) -> None:
    client, keys = api
    channel, ops = {"X-API-Key": keys["channel"]}, {"X-API-Key": keys["ops"]}
    added = client.post("/messages/opt-outs", headers=channel,
                        json={"email": "Ada@Example.com", "reason": "unsubscribed"})
    assert added.status_code == 201 and added.json()["email"] == "ada@example.com"
    again = client.post("/messages/opt-outs", headers=channel, json={"email": "ada@example.com"})
    assert again.status_code == 200 and again.json()["added"] is False
    bad = client.post("/messages/opt-outs", headers=channel, json={"email": "not-an-address"})
    assert bad.status_code == 422
    listed = client.get("/messages/opt-outs", headers=ops).json()
    assert [(row["email"], row["reason"]) for row in listed] == [("ada@example.com",
                                                                  "unsubscribed")]
    order_id = order(hub, "W-2")
    [message] = client.get(f"/orders/{order_id}/messages", headers=ops).json()
    assert (message["template"], message["status"]) == ("order_confirmed", "queued")
    assert client.get("/orders/ord_missing/messages", headers=ops).status_code == 404

    assert client.delete("/messages/opt-outs/ada@example.com", headers=channel).status_code == 204
    gone = client.delete("/messages/opt-outs/ada@example.com", headers=channel)
    assert gone.status_code == 404 and "has not opted out" in gone.json()["detail"]
    assert client.get("/messages/opt-outs", headers=ops).json() == []


def test_review_requests_only_for_perfect_orders(hub: Hub) -> None:
    now = hub.ctx.now()
    perfect, complained, recent, late, no_email = (
        order(hub, "R-1"), order(hub, "R-2"), order(hub, "R-3"), order(hub, "R-4"),
        order(hub, "R-5", email=None))
    with hub.uow() as uow:
        for order_id, delivered_at in ((perfect, now - timedelta(days=8)),
                                       (complained, now - timedelta(days=8)),
                                       (recent, now - timedelta(days=2)),
                                       (late, now - timedelta(days=9)),
                                       (no_email, now - timedelta(days=8))):
            item = uow.repo.get_order(order_id)
            assert item is not None
            item.record(Step.HANDED_OVER, "handed_over", delivered_at - timedelta(days=1))
            item.record(Step.DELIVERED, "delivered", delivered_at)
            if order_id == complained:
                item.record(Step.COMPLAINT, "complaint_recorded", now, outcome="late")
            if order_id == late:
                item.promised_by = delivered_at - timedelta(days=1)
        uow.commit()
    result = CliRunner().invoke(cli.app, ["request-reviews"], env={
        "FULFIL_DATABASE_URL": hub.settings.database_url,
        "FULFIL_REVIEW_URL": "https://reviews.example/{order_ref}"})
    assert result.exit_code == 0 and "1 review request(s) queued" in result.output, result.output
    assert hub.handle(customer.RequestReviews()) == []
    with hub.uow() as uow:
        [context] = uow.session.scalars(select(customer_messages.c.context).where(
            customer_messages.c.template == "review_request")).all()
    assert context["review_url"] == "https://reviews.example/R-1"


CUSTOMER_TABLES = ("customer_messages", "message_opt_outs", "complaints", "returns", "refunds")


def test_migration_matches_the_tables(hub: Hub) -> None:
    with hub.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    ours = [change for change in diff
            if any(table in repr(change) for table in CUSTOMER_TABLES)]
    assert ours == []
    assert not [change for change in diff if "not_before" in repr(change)]
