"""API keys: stored hashed, bound to a channel, rotated and revoked through the CLI and the
ops API; a revoked key is refused at its very next request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hub.adapters import orm
from hub.bootstrap import Hub, bootstrap
from hub.entrypoints.api.app import create_app
from hub.entrypoints.cli import app as cli
from hub.service_layer.api_keys import create_key, hash_key
from hub.service_layer.context import utcnow
from tests.security.conftest import load_warehouse, order_body, security_settings


@pytest.fixture
def database(database_url: str) -> str:
    """SQLite and PostgreSQL (time zones of the grace period differ between them)."""
    return database_url


@pytest.fixture
def hub(database: str) -> Iterator[Hub]:
    instance = bootstrap(security_settings(database))
    load_warehouse(instance)
    yield instance
    instance.stop()


def status(client: TestClient, key: str, path: str = "/orders") -> int:
    return client.get(path, headers={"X-API-Key": key}).status_code


def cli_run(database: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["keys", *args], env={"FULFIL_DATABASE_URL": database})
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_keys_are_stored_only_as_hashes(hub: Hub) -> None:
    with hub.uow() as uow:
        key = create_key(uow, hub.ctx, "app", ["channel"], "shopify")
        rows = uow.session.execute(select(orm.api_keys)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert key not in stored and key[4:] not in stored
    assert hash_key(key) in stored


def test_cli_binds_rotates_and_revokes(hub: Hub, database: str) -> None:
    key = cli_run(database, "create", "shop app", "--scope", "channel", "--channel", "shopify")
    assert key.startswith("ful_")
    with TestClient(create_app(hub)) as client:
        headers = {"X-API-Key": key}
        refused = client.post("/orders", json=order_body("amazon", "a-1"), headers=headers)
        assert refused.status_code == 403
        assert client.post("/orders", json=order_body("shopify", "s-1"),
                           headers=headers).status_code == 201
        rotated = cli_run(database, "rotate", "shop app")
        assert rotated != key
        # both work until the old one is revoked; the new one keeps the channel binding
        assert status(client, key) == 200 and status(client, rotated) == 200
        assert client.post("/orders", json=order_body("amazon", "a-2"),
                           headers={"X-API-Key": rotated}).status_code == 403
        listing = cli_run(database, "list")
        assert listing.count("shop app") == 2 and "channel=shopify" in listing
        assert key not in listing and hash_key(key) not in listing
        old_id = next(line.split()[0] for line in listing.splitlines()
                      if "shop app" in line)
        assert "revoked 1 key" in cli_run(database, "revoke", old_id)
        assert status(client, key) == 401  # the very next request
        assert status(client, rotated) == 200
        # revoking by name ends every live key of that name
        cli_run(database, "revoke", "shop app")
        assert status(client, rotated) == 401


def test_cli_refuses_bad_input_with_a_message(database: str) -> None:
    runner = CliRunner()
    env = {"FULFIL_DATABASE_URL": database}
    bound_ops = runner.invoke(cli, ["keys", "create", "x", "--scope", "ops", "--channel",
                                    "shopify"], env=env)
    assert bound_ops.exit_code == 2 and "only a key with scope channel" in bound_ops.output
    unknown = runner.invoke(cli, ["keys", "revoke", "nobody"], env=env)
    assert unknown.exit_code == 2 and "no API key" in unknown.output
    assert "Traceback" not in bound_ops.output + unknown.output


def test_ops_api_rotates_with_a_grace_period_and_revokes(hub: Hub) -> None:
    with hub.uow() as uow:
        ops = create_key(uow, hub.ctx, "ops", ["ops"])
    with TestClient(create_app(hub)) as client:
        auth = {"X-API-Key": ops}
        made = client.post("/keys", json={"name": "woo", "scopes": ["channel"],
                                          "channel": "woocommerce"}, headers=auth)
        assert made.status_code == 201, made.text
        old = made.json()
        assert old["channel"] == "woocommerce" and old["key"].startswith("ful_")
        assert all("key" not in k and "key_hash" not in k
                   for k in client.get("/keys", headers=auth).json())
        rotated = client.post(f"/keys/{old['id']}/rotate", json={"grace_s": 3600},
                              headers=auth)
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()
        assert new["name"] == "woo" and new["channel"] == "woocommerce"
        assert status(client, old["key"]) == 200  # within the grace period
        later = utcnow() + timedelta(hours=1, seconds=1)
        hub.ctx.now = lambda: later
        try:
            assert status(client, old["key"]) == 401  # the grace period is over
            assert status(client, new["key"]) == 200
        finally:
            hub.ctx.now = utcnow
        immediate = client.post(f"/keys/{new['id']}/rotate", json={"grace_s": 0},
                                headers=auth).json()
        assert status(client, new["key"]) == 401
        assert status(client, immediate["key"]) == 200
        revoked = client.post(f"/keys/{immediate['id']}/revoke", headers=auth)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert status(client, immediate["key"]) == 401
        again = client.post(f"/keys/{immediate['id']}/rotate", json={}, headers=auth)
        assert again.status_code == 422
        assert client.post("/keys/nope/revoke", headers=auth).status_code == 404
        bad = client.post("/keys", json={"name": "x", "scopes": ["root"]}, headers=auth)
        assert bad.status_code == 422
        # a key cannot manage keys unless it has scope ops
        assert client.post("/keys", json={"name": "x", "scopes": ["ops"]},
                           headers={"X-API-Key": immediate["key"]}).status_code == 401
