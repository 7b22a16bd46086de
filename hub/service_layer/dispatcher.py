"""Sends what handlers left in the outbox: MQTT commands and customer messages; channel
pushes (stock levels, tracking) go to the channel push dispatcher, on its own thread.

A row is marked dispatched only after the broker took it (PUBACK) or the notifier
returned; otherwise it is tried again on the next pass. With PostgreSQL, rows are claimed
with SKIP LOCKED so several hub replicas can dispatch side by side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from hub.adapters.metrics import MQTT_PUBLISHED
from hub.adapters.mqtt import HubMqtt
from hub.adapters.notifications.base import Notifier
from hub.service_layer.channels.push_dispatcher import CHANNEL_PUSH_KINDS, ChannelPushDispatcher
from hub.service_layer.context import HubContext
from hub.service_layer.customer_messages import deliver
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


class OutboxDispatcher:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], ctx: HubContext, mqtt: HubMqtt,
                 notifier: Notifier, batch: int = 100,
                 channel_pushes: ChannelPushDispatcher | None = None) -> None:
        self.uow_factory = uow_factory
        self.channel_pushes = channel_pushes
        self.ctx = ctx
        self.mqtt = mqtt
        self.notifier = notifier
        self.batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if self.channel_pushes is not None:
            self.channel_pushes.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if self.channel_pushes is not None:
            self.channel_pushes.stop()

    def kick(self) -> None:
        self._wake.set()
        if self.channel_pushes is not None:
            self.channel_pushes.kick()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.dispatch_once()
            except Exception:
                log.exception("outbox_pass_failed")
                sent = 0
            if sent < self.batch:
                self._wake.wait(self.ctx.settings.outbox_poll_s)
                self._wake.clear()

    def dispatch_once(self) -> int:
        sent = 0
        with self.uow_factory() as uow:
            for row in uow.repo.pending_outbox(self.batch, CHANNEL_PUSH_KINDS,
                                               self.ctx.now()):
                if row.kind == "mqtt":
                    ok = self._publish(row.topic, row.payload)
                    if not ok:
                        break  # the broker is away: keep order, try again later
                    uow.repo.mark_outbox(row.id, self.ctx.now())
                elif not self._notify(uow, row):
                    continue  # a message waiting for its retry time
                sent += 1
            uow.commit()
        return sent

    def _publish(self, topic: str, payload: str) -> bool:
        if not self.mqtt.connected.is_set():
            return False
        info = self.mqtt.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(timeout=5)
        except (RuntimeError, ValueError):
            return False
        if not info.is_published():
            return False
        MQTT_PUBLISHED.labels("command").inc()
        return True

    def _notify(self, uow: UnitOfWork, row: object) -> bool:
        return deliver(uow, self.ctx, self.notifier, row)
