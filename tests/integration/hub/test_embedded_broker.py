"""The embedded broker: a taken port is a clear message, and it carries MQTT for real."""

from __future__ import annotations

import socket

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
