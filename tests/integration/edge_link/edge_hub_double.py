"""A plain paho client that plays the hub in the edge link tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.wire import codec, topics
from edge.wire.broker_url import parse_broker_url
from edge.wire.messages import Ack, CommandBase


@dataclass(frozen=True)
class Received:
    topic: str
    payload: dict[str, Any]
    retain: bool


class TestHub:
    """Subscribes to everything devices of one site send; acks and commands on request."""

    __test__ = False

    def __init__(self, url: str, site: str) -> None:
        addr = parse_broker_url(url)
        self.site = site
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._seq = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"test-hub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(addr.host, addr.port, keepalive=10)
        self.client.loop_start()
        self.client.subscribe([(t, 1) for t in topics.hub_subscriptions(site)])
        assert subscribed.wait(5), "test hub could not subscribe"

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:  # a cleared retained message
            return
        with self._cond:
            self.messages.append(Received(msg.topic, json.loads(msg.payload), bool(msg.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0,
                 count: int = 1) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if predicate(m)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    kinds = [(m.topic, m.payload.get("type")) for m in self.messages]
                    raise AssertionError(f"timed out waiting; received {kinds}")
                self._cond.wait(left)

    def received(self, predicate: Callable[[Received], bool]) -> list[Received]:
        """The messages so far that match, oldest first."""
        with self._cond:
            return [m for m in self.messages if predicate(m)]

    def events(self, event_type: str | None = None) -> list[Received]:
        return self.received(lambda m: "/evt/" in m.topic
                             and (event_type is None or m.payload["type"] == event_type))

    def envelope(self) -> dict[str, Any]:
        self._seq += 1
        return {"device_id": "hub", "boot_id": "test-hub", "seq": self._seq}

    def ack(self, device_id: str, msg_ids: list[str]) -> None:
        message = Ack(**self.envelope(), msg_ids=msg_ids)
        self.client.publish(topics.ack(self.site, device_id), codec.encode(message),
                            qos=1).wait_for_publish(5)

    def command(self, device_id: str, command: CommandBase) -> None:
        topic = topics.command(self.site, device_id, command.type)  # type: ignore[attr-defined]
        self.client.publish(topic, codec.encode(command), qos=1).wait_for_publish(5)

    def raw(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        """Clear the retained state the test left on the broker, then disconnect."""
        with self._cond:
            retained = {m.topic for m in self.messages if m.topic.endswith("/status")}
        for topic in retained:
            self.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()
