"""The embedded broker: a taken port is a clear message, and it carries MQTT for real."""

from __future__ import annotations

import logging
import socket
import time

import paho.mqtt.client as paho
import pytest

from edge.wire import topics
from hub.adapters.embedded_broker import EmbeddedBroker, free_port
from hub.errors import ConfigError
from tests.support.mqtt_client import TestClient


def test_taken_port_is_refused_with_a_reason() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is already taken"):
            EmbeddedBroker(port)


def test_embedded_broker_delivers_retained_state() -> None:
    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        publisher = TestClient(broker.url, [])
        publisher.publish(topics.status("s", "d1"), b'{"state": "online"}', retain=True)
        late = TestClient(broker.url, [topics.status("s", "+")])
        assert late.expect("/d1/status") == {"state": "online"}
        publisher.close()
        late.close()
    finally:
        broker.stop()


def test_a_fleet_connecting_at_once_is_served_without_dropped_connections() -> None:
    """Devices coming up together each publish a retained status and subscribe while the
    broker sends the others retained messages; no connection handler may fail on that."""
    failures: list[str] = []

    class Failures(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "client_connected_cb" in record.getMessage():
                failures.append(record.getMessage())

    catcher = Failures()
    logging.getLogger("asyncio").addHandler(catcher)
    broker = EmbeddedBroker(free_port())
    broker.start()
    received: set[int] = set()
    clients: list[paho.Client] = []
    try:
        for n in range(40):
            client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"fleet-{n}")

            def on_connect(c: paho.Client, *_: object, n: int = n) -> None:
                c.publish(topics.status("s", f"d{n}"), b'{"state": "online"}', qos=1,
                          retain=True)
                c.subscribe(topics.status("s", "+"), qos=1)
                c.subscribe(f"fleet/{n}/cmd", qos=1)

            def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage,
                           n: int = n) -> None:
                if message.topic == f"fleet/{n}/cmd":
                    received.add(n)

            client.on_connect = on_connect
            client.on_message = on_message
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            clients.append(client)
        time.sleep(3)
        sender = TestClient(broker.url, [])
        for n in range(40):
            sender.publish(f"fleet/{n}/cmd", b"{}")
        deadline = time.monotonic() + 10
        while len(received) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        sender.close()
        assert failures == []
        assert received == set(range(40))
    finally:
        for client in clients:
            client.disconnect()
            client.loop_stop()
        broker.stop()
        logging.getLogger("asyncio").removeHandler(catcher)
