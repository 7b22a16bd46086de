"""Device messages in: decode, handle exactly once, acknowledge at application level.

Messages arrive on paho's network thread and are handled in order on one worker thread,
so database work never stalls the MQTT keepalive.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import structlog
from sqlalchemy.exc import SQLAlchemyError

from edge.wire import messages as wire
from edge.wire import topics
from edge.wire.codec import WireError, decode
from hub.adapters.couriers.base import CourierError
from hub.domain.commands import DeviceMessage
from hub.errors import HubError
from hub.service_layer.context import HubContext

log = structlog.get_logger(__name__)

Publish = Callable[[str, str], object]


class DeviceMessageWorker:
    def __init__(self, handle: Callable[[DeviceMessage], object], ctx: HubContext,
                 publish: Publish, after: Callable[[], None] = lambda: None) -> None:
        self.handle = handle
        self.ctx = ctx
        self.publish = publish
        self.after = after
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="device-messages", daemon=True)
        self.handled = 0

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
        while (item := self._queue.get()) is not None:
            try:
                self.process(*item)
            except Exception:
                log.exception("device_message_crashed", topic=item[0])
            self.handled += 1

    def process(self, topic: str, payload: bytes) -> str:
        """Handle one message; returns what happened (for logs and tests)."""
        if not payload:
            return "ignored"  # an empty retained message only clears the retained state
        try:
            message = decode(topic, payload)
        except WireError as exc:
            log.warning("device_message_rejected", topic=topic, code=exc.code, reason=exc.reason)
            self._error(topic, exc.code, exc.reason, exc.msg_id)
            return f"rejected:{exc.code}"
        try:
            outcome = str(self.handle(DeviceMessage(topic, message)))
        except HubError as exc:
            log.warning("device_event_refused", topic=topic, msg_id=message.msg_id,
                        reason=exc.detail)
            self._error(topic, "rejected", exc.detail, message.msg_id)
            outcome = "refused"
        except SQLAlchemyError:
            log.exception("device_event_not_stored", topic=topic, msg_id=message.msg_id)
            return "retry"  # not acked: the device sends it again
        except CourierError as exc:  # courier down or slow: the booking ledger makes a resend safe
            log.warning("device_event_deferred", topic=topic, msg_id=message.msg_id,
                        reason=str(exc))
            return "retry"
        if isinstance(message, wire.EventBase):
            self._ack(message.device_id, message.msg_id)
        self.after()
        return outcome

    def _ack(self, device_id: str, msg_id: str) -> None:
        self.publish(topics.ack(self.ctx.settings.site, device_id),
                     self.ctx.encode(wire.Ack, msg_ids=[msg_id]))

    def _error(self, topic: str, code: str, reason: str, msg_id: str | None) -> None:
        try:
            parsed = topics.parse(topic)
        except ValueError:
            return
        self.publish(topics.error(parsed.site, parsed.device_id),
                     self.ctx.encode(wire.ErrorEvent, ref_msg_id=msg_id, ref_topic=topic,
                                     code=code, reason=reason[:500]))
