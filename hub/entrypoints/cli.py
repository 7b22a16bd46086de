"""`fulfil-hub`: serve the hub, migrate its database, manage API keys, run the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.errors import HubError

app = typer.Typer(help="Fulfil hub: orders, stock, devices and courier bookings.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code=2)


def _settings():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from hub.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"setting FULFIL_{str(first['loc'][0]).upper()}: {first['msg']}") from None


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="API address")] = None,
          port: Annotated[int | None, typer.Option(help="API port")] = None,
          log_json: Annotated[bool, typer.Option(help="log JSON lines")] = False) -> None:
    """Run the hub: API, MQTT worker and outbox dispatcher."""
    import uvicorn

    from hub import logs
    from hub.bootstrap import bootstrap
    from hub.entrypoints.api.app import create_app

    logs.configure(json=log_json)
    settings = _settings()
    try:
        hub = bootstrap(settings, start_messaging=True)
    except (HubError, ConnectionError) as exc:
        raise _fail(str(exc)) from None
    from hub.service_layer.channels.workers import ChannelWorkers

    channel_workers = ChannelWorkers(hub)  # marketplace polling (pushes go via the outbox)
    channel_workers.start()
    api = create_app(hub)
    _freeze_start_up_objects()
    try:
        uvicorn.run(api, host=host or settings.api_host,
                    port=port if port is not None else settings.api_port, log_level="warning")
    finally:
        channel_workers.stop()
        hub.stop()


def _freeze_start_up_objects() -> None:
    """Move what start-up created (modules, mappers, routes: ~250 000 objects) out of the
    garbage collector's sight. Otherwise each full collection walks them all (~0.14 s here)
    while every thread waits: the first came two seconds into scanning and held scans for
    up to 0.2 s (bench/scan_to_light.py)."""
    import gc

    gc.collect()
    gc.freeze()


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    from hub.adapters import migrate as migrations
    from hub.adapters.db import make_engine

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        migrations.upgrade(engine)
    except Exception as exc:
        raise _fail(f"migration failed: {exc}") from None
    finally:
        engine.dispose()
    console.print("database is at the newest schema")


@keys_app.command("create")
def create_key(name: Annotated[str, typer.Argument(help="who the key is for")],
               scope: Annotated[list[str], typer.Option(help="channel, courier, ops, device")],
               channel: Annotated[str | None, typer.Option(
                   help="bind a channel key to this sales channel (e.g. shopify)")] = None,
               ) -> None:
    """Create an API key; it is shown once, only its hash is stored."""
    from hub.service_layer.api_keys import create_key as make

    key = _with_keys(lambda uow, ctx: make(uow, ctx, name, scope, channel))
    console.print(key)


@keys_app.command("list")
def list_keys() -> None:
    """Every key: id, name, scopes, channel and state (never the key itself)."""
    from hub.service_layer.api_keys import list_keys as all_keys

    for k in _with_keys(lambda uow, _ctx: all_keys(uow)):
        state = ("revoked" if k.revoked_at else
                 f"expires {k.expires_at:%Y-%m-%d %H:%M:%S}Z" if k.expires_at else "active")
        console.print(f"{k.id}  {k.name}  {','.join(k.scopes)}  "
                      f"channel={k.channel or '*'}  {state}", highlight=False)


@keys_app.command("rotate")
def rotate_key(key: Annotated[str, typer.Argument(help="key id, or name")],
               grace: Annotated[float | None, typer.Option(
                   help="seconds the old key still works (default: until revoked)")] = None,
               ) -> None:
    """Make a new key with the same name, scopes and channel; print it."""
    from hub.service_layer.api_keys import rotate_key as rotate

    made = _with_keys(lambda uow, ctx: rotate(uow, ctx, key, grace))
    console.print(made.key)


@keys_app.command("revoke")
def revoke_key(key: Annotated[str, typer.Argument(help="key id, or name (all its keys)")],
               ) -> None:
    """Revoke a key: refused from the next request on."""
    from hub.service_layer.api_keys import revoke_key as revoke

    revoked = _with_keys(lambda uow, ctx: revoke(uow, ctx, key))
    console.print(f"revoked {len(revoked)} key(s): {', '.join(k.id for k in revoked)}")


def _with_keys(action):  # type: ignore[no-untyped-def]
    """Run ``action(uow, ctx)`` on the hub's database; errors become a CLI message."""
    from hub.bootstrap import bootstrap

    hub = bootstrap(_settings())
    try:
        with hub.uow() as uow:
            return action(uow, hub.ctx)
    except (HubError, ValueError) as exc:
        raise _fail(str(exc)) from None
    finally:
        hub.stop()


@app.command("request-reviews")
def request_reviews() -> None:
    """Queue review requests for perfect orders delivered long enough ago (run daily; the
    serving hub's outbox sends them)."""
    from hub.bootstrap import bootstrap
    from hub.service_layer.handlers.customer import RequestReviews

    hub = bootstrap(_settings())
    try:
        queued = hub.handle(RequestReviews())
    except HubError as exc:
        raise _fail(str(exc)) from None
    finally:
        hub.stop()
    console.print(f"{len(queued)} review request(s) queued")


@app.command()
def demo(orders: Annotated[int, typer.Option(min=1, max=5000, help="orders to run")] = 6,
         pick_zones: Annotated[int, typer.Option(min=1, max=50, help="simulated pick zones")] = 1,
         pack_benches: Annotated[int, typer.Option(
             min=1, max=20, help="simulated pack benches")] = 1,
         port: Annotated[int, typer.Option(help="API port (a free one if taken)")] = 8000,
         broker_port: Annotated[int, typer.Option(help="embedded broker port")] = 1883,
         workdir: Annotated[Path | None, typer.Option(help="where data and logs go")] = None,
         timeout: Annotated[float | None, typer.Option(
             help="seconds to wait for the run [default: 180 + 0.6 per order]")] = None,
         exit_: Annotated[bool, typer.Option("--exit", help="stop after the run")] = False,
         mistake_rate: Annotated[float, typer.Option(
             min=0, max=1, help="share of scans the simulated staff get wrong first")] = 0.1,
         ) -> None:
    """Run the hub with simulated devices and push a few orders through to a label."""
    from hub.demo.runner import DemoOptions, run_demo

    code = run_demo(DemoOptions(orders=orders, api_port=port, broker_port=broker_port,
                                workdir=workdir, timeout_s=timeout, exit_after=exit_,
                                mistake_rate=mistake_rate, pick_zones=pick_zones,
                                pack_benches=pack_benches),
                    console)
    raise typer.Exit(code=code)


if __name__ == "__main__":
    app()
