"""The hub's MQTT client (paho-mqtt 2): subscribes to device topics, publishes commands,
acks and error events. Reconnects by itself; messages arrive on paho's network thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Callable

import paho.mqtt.client as paho
import structlog

from edge.wire.broker_url import parse_broker_url

log = structlog.get_logger(__name__)

MessageCallback = Callable[[str, bytes], None]


def no_delay(client: paho.Client) -> None:
    """Send small packets (acks, commands) at once: with Nagle's algorithm on, a publish
    can wait for the peer's delayed ACK, ~40 ms on Linux."""
    sock = client.socket()
    if sock is not None:
        with contextlib.suppress(OSError):  # not a TCP socket (Unix socket, websocket)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class HubMqtt:
    def __init__(self, url: str, subscriptions: list[str], on_message: MessageCallback,
                 client_id: str | None = None) -> None:
        self.address = parse_broker_url(url)
        self.subscriptions = subscriptions
        self._on_message = on_message
        self.connected = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"fulfil-hub-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311, clean_session=True)
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set()
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._handle_connect
        self.client.on_disconnect = self._handle_disconnect
        self.client.on_message = self._handle_message

    def start(self, timeout: float = 15.0) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            raise ConnectionError(
                f"no MQTT broker answered at {self.address.host}:{self.address.port}")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1,
                retain: bool = False) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def _handle_connect(self, client: paho.Client, _userdata: object, _flags: object,
                        reason: paho.ReasonCode, _props: object) -> None:
        if reason.is_failure:
            log.error("mqtt_connect_refused", reason=str(reason))
            return
        no_delay(client)
        for topic_filter in self.subscriptions:
            client.subscribe(topic_filter, qos=1)
        self.connected.set()
        log.info("mqtt_connected", host=self.address.host, port=self.address.port)

    def _handle_disconnect(self, _client: paho.Client, _userdata: object, _flags: object,
                           reason: paho.ReasonCode, _props: object) -> None:
        self.connected.clear()
        log.warning("mqtt_disconnected", reason=str(reason))

    def _handle_message(self, _client: paho.Client, _userdata: object,
                        msg: paho.MQTTMessage) -> None:
        try:
            self._on_message(msg.topic, msg.payload)
        except Exception:  # the network thread must survive any one message
            log.exception("mqtt_message_failed", topic=msg.topic)
