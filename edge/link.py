"""MQTT link of an edge agent: envelope, birth/death, outbox flushing, acks, reconnects.

Events reach the hub at least once: they sit in the :class:`~edge.outbox.Outbox` until the
hub's ``Ack`` names them, are resent (flagged ``replay``) after ``resend_after_s`` (the wait
doubling with every send, see ``Outbox.due``) and after every reconnect, and the hub's inbox
drops duplicates by ``msg_id``.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion

from edge.outbox import Outbox, OutboxItem
from edge.wire import codec, topics
from edge.wire.broker_url import parse_broker_url
from edge.wire.messages import (
    Ack,
    CommandBase,
    DeviceStatus,
    Envelope,
    ErrorEvent,
    EventBase,
    Health,
    PeripheralStatus,
    PrinterInfo,
)

log = structlog.get_logger("edge.link")

M = TypeVar("M", bound=Envelope)
PeripheralKind = Literal["scanner", "scale", "lights", "printer"]
PeripheralStateName = Literal["ok", "offline", "error"]


@dataclass(frozen=True)
class PeripheralReport:
    name: str
    kind: PeripheralKind
    state: PeripheralStateName
    detail: str | None = None


@dataclass
class LinkSettings:
    device_id: str
    site: str
    mqtt_url: str
    tls_files: tuple[str, str | None, str | None] | None = None  # CA, certificate, key
    role: Literal["pick_zone", "pack_bench"] | None = None
    zone: str | None = None
    locations: list[str] = field(default_factory=list)
    version: str | None = None
    health_interval_s: float = 30.0
    resend_after_s: float = 5.0
    keepalive_s: int = 15
    reconnect_min_s: int = 1
    # paho doubles the wait after every failed attempt up to this; kept short so a device is
    # back within 10 s of the network or broker coming back, however long it was away
    reconnect_max_s: int = 5


class Link:
    def __init__(
        self,
        settings: LinkSettings,
        outbox: Outbox,
        on_command: Callable[[CommandBase], None] | None = None,
        peripherals: Callable[[], Sequence[PeripheralReport]] = lambda: (),
        profiles: Callable[[], Mapping[str, str]] = dict,
        printer: Callable[[], PrinterInfo | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self._profiles = profiles
        self._printer = printer
        self.outbox = outbox
        self.boot_id = uuid.uuid4().hex
        self._on_command = on_command
        self._peripherals = peripherals
        self._seq = itertools.count()
        self._seq_lock = threading.Lock()
        self._started = time.monotonic()
        self.connected = threading.Event()
        # held while the connect handler sends its snapshot of the peripherals and marks the
        # link connected, so a change reported meanwhile waits and follows the snapshot
        self._peripheral_lock = threading.Lock()
        self.subscribed = threading.Event()  # commands can reach us (SUBACK received)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._bdseq = 0
        self._address = parse_broker_url(settings.mqtt_url)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"fulfil-edge-{settings.site}-{settings.device_id}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_subscribe
        self._client.reconnect_delay_set(settings.reconnect_min_s, settings.reconnect_max_s)
        if self._address.username:
            self._client.username_pw_set(self._address.username, self._address.password)
        if self._address.tls:
            ca, cert, key = settings.tls_files or (None, None, None)
            self._client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)

    # --- envelope -------------------------------------------------------------------------

    def envelope(self) -> dict[str, Any]:
        """device_id, boot_id and the next seq: the one place every outgoing message gets them."""
        with self._seq_lock:
            seq = next(self._seq)
        return {"device_id": self.settings.device_id, "boot_id": self.boot_id, "seq": seq}

    def build(self, model: type[M], **fields: Any) -> M:
        return model(**self.envelope(), **fields)

    @property
    def bdseq(self) -> int:
        return self._bdseq

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._bdseq = self.outbox.next_bdseq()
        self._set_will()
        self._client.connect_async(self._address.host, self._address.port,
                                   keepalive=self.settings.keepalive_s)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, name="edge-link", daemon=True)
        self._thread.start()
        log.info("link_started", broker=f"{self._address.host}:{self._address.port}",
                 device_id=self.settings.device_id, boot_id=self.boot_id, bdseq=self._bdseq)

    def publish_status(self) -> None:
        """Publish the retained online status again (e.g. after a profile change)."""
        if self.connected.is_set():
            s = self.settings
            self._client.publish(topics.status(s.site, s.device_id),
                                 codec.encode(self._status("online")), qos=1, retain=True)
            self._set_will()

    def alive(self) -> bool:
        """The link's sender thread and paho's network loop both run (connected or not)."""
        paho_loop = getattr(self._client, "_thread", None)
        return (self._thread is not None and self._thread.is_alive()
                and paho_loop is not None and paho_loop.is_alive())

    def stop(self, timeout: float = 3.0) -> None:
        """Publish the offline status (when connected), disconnect and join the threads."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.connected.is_set():
            info = self._client.publish(
                topics.status(self.settings.site, self.settings.device_id),
                codec.encode(self._status("offline")), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.warning("offline_status_not_sent", error=str(exc))
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()
        self.subscribed.clear()
        log.info("link_stopped", device_id=self.settings.device_id)

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and subscribed to this device's command topics."""
        return self.subscribed.wait(timeout) and self.connected.is_set()

    # --- sending --------------------------------------------------------------------------

    def enqueue(self, events: Sequence[EventBase], state: Mapping[str, str] | None = None) -> None:
        """Store events (with optional agent state, atomically) and wake the sender."""
        items = [OutboxItem(e.msg_id, topics.event(self.settings.site, self.settings.device_id,
                                                   e.type),  # type: ignore[attr-defined]
                            codec.encode(e).decode()) for e in events]
        self.outbox.add(items, state)
        if items:
            self._wake.set()

    def publish_peripheral(self, report: PeripheralReport) -> None:
        """Retained state of one peripheral; also re-sent on every connect. A change reported
        while the connect handler sends its snapshot is sent after it, not dropped: the
        snapshot may have read the state before the change."""
        with self._peripheral_lock:
            if self.connected.is_set():
                self._publish_peripheral(report)

    def flush(self) -> int:
        """Send every due event now, oldest first; returns how many were handed to paho."""
        if not self.connected.is_set():
            return 0
        sent: list[str] = []
        for item in self.outbox.due(self.settings.resend_after_s):
            info = self._client.publish(item.topic, item.wire_payload(), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                break
            sent.append(item.msg_id)
        if sent:
            self.outbox.mark_sent(sent)
            log.debug("outbox_flushed", count=len(sent))
        return len(sent)

    # --- internals ------------------------------------------------------------------------

    def _run(self) -> None:
        next_health = time.monotonic() + min(self.settings.health_interval_s, 5.0)
        while not self._stop.is_set():
            self._wake.wait(min(0.5, self.settings.resend_after_s))
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + self.settings.health_interval_s
                    self._publish_health()
            except Exception:  # the sender thread must outlive any single failure
                log.exception("link_loop_failed")

    def _status(self, state: Literal["online", "offline"]) -> DeviceStatus:
        s = self.settings
        return self.build(DeviceStatus, state=state, bdseq=self._bdseq, role=s.role, zone=s.zone,
                          locations=list(s.locations), version=s.version,
                          peripherals={p.name: p.state for p in self._peripherals()},
                          profiles=dict(self._profiles()), printer=self._printer())

    def _set_will(self) -> None:
        will = self._status("offline")
        self._client.will_set(topics.status(self.settings.site, self.settings.device_id),
                              codec.encode(will), qos=1, retain=True)

    def _publish_peripheral(self, report: PeripheralReport) -> None:
        message = self.build(PeripheralStatus, peripheral=report.name, kind=report.kind,
                             state=report.state, detail=report.detail)
        self._client.publish(
            topics.peripheral_status(self.settings.site, self.settings.device_id, report.name),
            codec.encode(message), qos=1, retain=True)

    def _publish_health(self) -> None:
        if not self.connected.is_set():
            return
        message = self.build(Health, uptime_s=round(time.monotonic() - self._started, 3),
                             outbox_depth=self.outbox.depth(), version=self.settings.version,
                             peripherals={p.name: p.state for p in self._peripherals()},
                             profiles=dict(self._profiles()))
        self._client.publish(topics.health(self.settings.site, self.settings.device_id),
                             codec.encode(message), qos=0)

    def _handle_connect(self, client: mqtt.Client, userdata: Any, flags: Any,
                        reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning("mqtt_connect_refused", reason=str(reason_code))
            return
        s = self.settings
        # Subscribe before announcing the birth: the broker handles one connection's packets
        # in order, so a hub that reacts to "online" with a command finds the subscription.
        client.subscribe([(t, 1) for t in topics.device_subscriptions(s.site, s.device_id)])
        client.publish(topics.status(s.site, s.device_id), codec.encode(self._status("online")),
                       qos=1, retain=True)
        with self._peripheral_lock:
            for report in self._peripherals():
                self._publish_peripheral(report)
            self.outbox.reset_sent()
            self.connected.set()
        self._wake.set()
        log.info("mqtt_connected", bdseq=self._bdseq, outbox_depth=self.outbox.depth())

    def _handle_subscribe(self, client: mqtt.Client, userdata: Any, mid: int,
                          reason_codes: Any, properties: Any) -> None:
        self.subscribed.set()

    def _handle_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any,
                           reason_code: Any, properties: Any) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if self._stop.is_set():
            return
        self._bdseq = self.outbox.next_bdseq()
        self._set_will()
        log.warning("mqtt_disconnected", reason=str(reason_code), next_bdseq=self._bdseq)

    def _handle_message(self, client: mqtt.Client, userdata: Any,
                        message: mqtt.MQTTMessage) -> None:
        try:
            decoded = codec.decode(message.topic, bytes(message.payload))
        except codec.WireError as exc:
            log.warning("bad_message_ignored", topic=message.topic, code=exc.code,
                        reason=exc.reason)
            return
        try:
            if isinstance(decoded, Ack):
                removed = self.outbox.ack(decoded.msg_ids)
                log.debug("events_acked", count=removed, depth=self.outbox.depth())
            elif isinstance(decoded, ErrorEvent):
                dropped = (decoded.ref_msg_id is not None
                           and self.outbox.dead_letter(decoded.ref_msg_id, decoded.reason))
                log.error("hub_rejected_message", ref_msg_id=decoded.ref_msg_id,
                          code=decoded.code, reason=decoded.reason, dead_lettered=dropped)
            elif isinstance(decoded, CommandBase) and self._on_command is not None:
                self._on_command(decoded)
        except Exception:  # a bad handler must never kill paho's network thread
            log.exception("message_handling_failed", topic=message.topic)
