"""The notification port and the notifier that only logs (the default until SMTP is set)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class Notifier(ABC):
    @abstractmethod
    def send(self, template: str, to: str | None, context: dict[str, Any]) -> None:
        """Deliver one customer message; raise on failure so the outbox retries."""


class LogNotifier(Notifier):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    def send(self, template: str, to: str | None, context: dict[str, Any]) -> None:
        self.sent.append((template, to))
        log.info("customer_message", template=template, to=to, order_id=context.get("order_id"))
