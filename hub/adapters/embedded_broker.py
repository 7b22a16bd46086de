"""An in-process MQTT 3.1.1 broker (amqtt) for the one-command setup. Production uses
Mosquitto; the hub then connects to FULFIL_MQTT_URL instead."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import structlog

from hub.errors import ConfigError

log = structlog.get_logger(__name__)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _SnapshotIteration(dict[str, Any]):
    """amqtt (0.12) walks its subscriptions dict with awaits in the loop when a client
    connects (to send it retained messages); another client subscribing meanwhile changes the
    dict's size, the connection handler dies with a RuntimeError and the client must
    reconnect. Iterating a snapshot of the keys is all that loop needs."""

    def __iter__(self) -> Iterator[str]:
        return iter(list(super().__iter__()))


class EmbeddedBroker:
    """Runs amqtt's broker on its own event loop thread, on a loopback port."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        if port and not port_is_free(host, port):
            raise ConfigError(
                f"port {port} on {host} is already taken (is Mosquitto running there?); "
                "set FULFIL_EMBEDDED_BROKER_PORT to a free port, or FULFIL_MQTT_URL to use "
                "that broker")
        self.host = host
        self.port = port or free_port(host)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker",
                                        daemon=True)
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        from amqtt.broker import Broker

        for noisy in ("amqtt", "transitions"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                        {"allow_anonymous": True}},
        }
        self._thread.start()

        async def _start() -> Any:
            broker = Broker(config, loop=self._loop)
            broker._subscriptions = _SnapshotIteration(broker._subscriptions)
            await broker.start()
            return broker

        self._broker = asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout=15)
        log.info("embedded_broker_started", url=self.url)

    def stop(self) -> None:
        if self._broker is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(
                    timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
