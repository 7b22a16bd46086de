"""Shared command bookkeeping for the state machines: idempotency and expiry."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from edge.core.effects import SEEN_COMMANDS_KEPT
from edge.wire.messages import CommandBase


class SeenCommands:
    """The most recent command ids applied, so a redelivered command has no second effect."""

    def __init__(self, kept: int = SEEN_COMMANDS_KEPT) -> None:
        self._kept = kept
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._ids

    def add(self, command_id: str) -> None:
        self._ids[command_id] = None
        self._ids.move_to_end(command_id)
        while len(self._ids) > self._kept:
            self._ids.popitem(last=False)

    def to_list(self) -> list[str]:
        return list(self._ids)

    @classmethod
    def from_list(cls, ids: list[str], kept: int = SEEN_COMMANDS_KEPT) -> SeenCommands:
        seen = cls(kept)
        for command_id in ids:
            seen.add(command_id)
        return seen


def is_expired(command: CommandBase, now: datetime) -> bool:
    """True once ``expires_at`` has passed; a naive timestamp is read as UTC."""
    expires = command.expires_at
    if expires is None:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return expires <= now
