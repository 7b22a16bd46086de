"""Encode and decode wire messages, checking each against the topic it came on."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from edge.wire import topics
from edge.wire.messages import (
    COMMAND_TYPES,
    EVENT_TYPES,
    SCHEMA_VERSION,
    STATE_TYPES,
    Envelope,
)

MAX_PAYLOAD_BYTES = 256 * 1024


class WireError(ValueError):
    """A message that cannot be accepted; ``code`` is the ErrorEvent code."""

    def __init__(self, code: str, reason: str, msg_id: str | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.msg_id = msg_id


def encode(message: Envelope) -> bytes:
    return message.model_dump_json(exclude_none=True).encode()


def _model_for(parsed: topics.ParsedTopic) -> dict[str, type[Envelope]]:
    if parsed.kind == "evt":
        return dict(EVENT_TYPES)
    if parsed.kind == "cmd":
        return dict(COMMAND_TYPES)
    name = "status" if parsed.kind == "status" else parsed.kind
    return {name: STATE_TYPES[name]}


def decode(topic: str, payload: bytes) -> Envelope:
    """Parse a payload received on ``topic``; raise WireError with a clear reason."""
    try:
        parsed = topics.parse(topic)
    except ValueError as exc:
        raise WireError("unknown_type", str(exc)) from None
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError("invalid", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        data: Any = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("bad_json", f"payload is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("bad_json", "payload must be a JSON object")
    msg_id = data.get("msg_id") if isinstance(data.get("msg_id"), str) else None
    if data.get("v") != SCHEMA_VERSION:
        raise WireError("bad_version", f"schema version {data.get('v')!r} is not supported "
                        f"(want {SCHEMA_VERSION})", msg_id)
    models = _model_for(parsed)
    kind = data.get("type")
    expected = parsed.name if parsed.kind in ("evt", "cmd") else kind
    if kind not in models or kind != expected:
        raise WireError("unknown_type",
                        f"type {kind!r} is not accepted on {topic} (want one of {sorted(models)}"
                        f"{'' if expected is None else ', matching the topic'})", msg_id)
    try:
        message = models[kind].model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise WireError("invalid", f"{where}: {first['msg']}", msg_id) from None
    if message.device_id != parsed.device_id and parsed.kind not in ("cmd", "ack", "error"):
        raise WireError("invalid", f"device_id {message.device_id!r} does not match the topic",
                        msg_id)
    return message
