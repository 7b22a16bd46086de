"""A plain paho client for tests that play the other side of the wire (a device or the hub)."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as paho

from edge.wire.broker_url import parse_broker_url


class TestClient:
    __test__ = False  # not a pytest test class

    def __init__(self, url: str, subscriptions: list[str]) -> None:
        address = parse_broker_url(url)
        self.messages: queue.Queue[tuple[str, dict[str, Any] | bytes]] = queue.Queue()
        self._ready = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"test-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311)

        def on_connect(client: paho.Client, *_: Any) -> None:
            for topic in subscriptions:
                client.subscribe(topic, qos=1)
            self._ready.set()

        def on_message(_client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
            try:
                self.messages.put((msg.topic, json.loads(msg.payload)))
            except ValueError:
                self.messages.put((msg.topic, msg.payload))

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.connect(address.host, address.port, keepalive=30)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise ConnectionError(f"test client could not connect to {url}")
        time.sleep(0.2)  # let the SUBACKs land

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def expect(self, topic_part: str, timeout: float = 10.0,
               where: dict[str, Any] | None = None) -> dict[str, Any]:
        """The next message whose topic contains ``topic_part`` (and whose fields match)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                topic, body = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if topic_part in topic and isinstance(body, dict) and all(
                    body.get(k) == v for k, v in (where or {}).items()):
                return body
        raise AssertionError(f"no message on *{topic_part}* {where or ''} within {timeout} s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
