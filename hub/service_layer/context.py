"""What handlers need besides the unit of work: settings, clock, courier, and the hub's
own message envelope (device_id ``hub``, one boot id per process, a sequence)."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edge.wire import topics
from edge.wire.codec import encode
from edge.wire.messages import Envelope
from hub.adapters.couriers.base import Courier
from hub.config import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class HubContext:
    settings: Settings
    courier: Courier
    now: Callable[[], datetime] = utcnow
    boot_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def envelope(self) -> dict[str, Any]:
        with self._lock:
            seq = next(self._seq)
        return {"device_id": self.settings.hub_id, "boot_id": self.boot_id, "seq": seq,
                "ts": self.now()}

    def message(self, model: type[Envelope], **fields: Any) -> Envelope:
        return model(**self.envelope(), **fields)

    def device_topic(self, kind: str, device_id: str, name: str | None = None) -> str:
        site = self.settings.site
        if kind == "cmd":
            return topics.command(site, device_id, name or "")
        if kind == "ack":
            return topics.ack(site, device_id)
        return topics.error(site, device_id)

    def encode(self, model: type[Envelope], **fields: Any) -> str:
        return encode(self.message(model, **fields)).decode()
