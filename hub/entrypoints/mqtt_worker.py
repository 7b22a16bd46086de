"""Device messages in: decode, handle exactly once, acknowledge at application level.

Messages arrive on paho's network thread and are handled in arrival order on one worker
thread, so database work never stalls the MQTT keepalive. Whatever has queued up meanwhile
is handled as one batch in one transaction (each message in its own savepoint), and every
device gets one ack naming all its events of the batch.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence

import structlog
from sqlalchemy.exc import SQLAlchemyError

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import WireError, decode
from hub.adapters.couriers.base import CourierError
from hub.adapters.metrics import MQTT_PUBLISHED, MQTT_RECEIVED
from hub.domain.commands import DeviceBatch, DeviceMessage
from hub.errors import HubError
from hub.service_layer.context import HubContext

log = structlog.get_logger(__name__)

Publish = Callable[[str, str], object]
MAX_BATCH = 200
RECENT_IDS = 100_000  # msg_ids this worker committed, remembered to ack resends at once


class DeviceMessageWorker:
    def __init__(self, handle: Callable[[DeviceBatch], Sequence[object]], ctx: HubContext,
                 publish: Publish, after: Callable[[], None] = lambda: None,
                 max_batch: int = MAX_BATCH) -> None:
        self.handle = handle
        self.ctx = ctx
        self.publish = publish
        self.after = after
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="device-messages", daemon=True)
        self.handled = 0
        self.batches = 0
        # After a broker restart devices resend every unacked event, many of them already
        # stored here (their ack was lost). Acking those from memory, without a transaction,
        # lets the hub catch up instead of spending its time on known duplicates; the inbox
        # table stays the authority for everything not remembered.
        self._recent: OrderedDict[str, None] = OrderedDict()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def submit(self, topic: str, payload: bytes) -> None:
        self._queue.put((topic, payload))

    def backlog(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                self.process_batch(batch)
            except Exception:
                log.exception("device_batch_crashed", size=len(batch))
            self.handled += len(batch)
            self.batches += 1
            if stop:
                return

    def process(self, topic: str, payload: bytes) -> str:
        """Handle one message; returns what happened (for logs and tests)."""
        return self.process_batch([(topic, payload)])[0]

    def process_batch(self, items: list[tuple[str, bytes]]) -> list[str]:
        outcomes: list[str] = ["ignored"] * len(items)
        decoded: list[tuple[int, DeviceMessage]] = []
        known: list[tuple[int, wire.EventBase]] = []
        for n, (topic, payload) in enumerate(items):
            if not payload:
                continue  # an empty retained message only clears the retained state
            try:
                message = decode(topic, payload)
            except WireError as exc:
                MQTT_RECEIVED.labels("invalid").inc()
                log.warning("device_message_rejected", topic=topic, code=exc.code,
                            reason=exc.reason)
                self._error(topic, exc.code, exc.reason, exc.msg_id)
                outcomes[n] = f"rejected:{exc.code}"
                continue
            MQTT_RECEIVED.labels(message.type).inc()
            if isinstance(message, wire.EventBase) and message.msg_id in self._recent:
                known.append((n, message))
                continue
            decoded.append((n, DeviceMessage(topic, message)))
        acks: dict[str, list[str]] = defaultdict(list)
        for n, event in known:
            outcomes[n] = "duplicate"
            acks[event.device_id].append(event.msg_id)
        if not decoded:
            self._send_acks(acks)
            return outcomes
        try:
            results = self.handle(DeviceBatch([message for _, message in decoded]))
        except SQLAlchemyError:
            log.exception("device_events_not_stored", size=len(decoded))
            for n, _ in decoded:
                outcomes[n] = "retry"  # not acked: the devices send them again
            self._send_acks(acks)
            return outcomes
        for (n, item), result in zip(decoded, results, strict=True):
            message = item.message
            if isinstance(result, CourierError):
                # courier down or slow: not acked, so the device sends it again; the booking
                # ledger makes the resend safe
                log.warning("device_event_deferred", topic=item.topic, msg_id=message.msg_id,
                            reason=str(result))
                outcomes[n] = "retry"
                continue
            if isinstance(result, HubError):
                log.warning("device_event_refused", topic=item.topic, msg_id=message.msg_id,
                            reason=result.detail)
                self._error(item.topic, "rejected", result.detail, message.msg_id)
                outcomes[n] = "refused"
            else:
                outcomes[n] = str(result)
                if isinstance(message, wire.EventBase):
                    self._remember(message.msg_id)
            if isinstance(message, wire.EventBase):
                acks[message.device_id].append(message.msg_id)
        self._send_acks(acks)
        self.after()
        return outcomes

    def _remember(self, msg_id: str) -> None:
        self._recent[msg_id] = None
        if len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)

    def _send_acks(self, acks: dict[str, list[str]]) -> None:
        for device_id, msg_ids in acks.items():
            self._ack(device_id, msg_ids)

    def _ack(self, device_id: str, msg_ids: list[str]) -> None:
        for start in range(0, len(msg_ids), 1000):
            MQTT_PUBLISHED.labels("ack").inc()
            self.publish(topics.ack(self.ctx.settings.site, device_id),
                         self.ctx.encode(wire.Ack, msg_ids=msg_ids[start:start + 1000]))

    def _error(self, topic: str, code: str, reason: str, msg_id: str | None) -> None:
        try:
            parsed = topics.parse(topic)
        except ValueError:
            return
        MQTT_PUBLISHED.labels("error").inc()
        self.publish(topics.error(parsed.site, parsed.device_id),
                     self.ctx.encode(wire.ErrorEvent, ref_msg_id=msg_id, ref_topic=topic,
                                     code=code, reason=reason[:500]))
