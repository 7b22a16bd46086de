"""Side effects leave through the outbox table, written in the same transaction as the
state change; the dispatcher sends them after the commit."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from edge.wire.messages import CommandBase
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork


def send_command(uow: UnitOfWork, ctx: HubContext, device_id: str, model: type[CommandBase],
                 order_id: str | None = None, **fields: Any) -> str:
    """Queue a command for a device; returns its command id."""
    row = command_row(ctx, device_id, model, order_id, **fields)
    uow.repo.add_outbox("mqtt", row["topic"], row["payload"], row["created_at"],
                        order_id=order_id)
    return str(row["command_id"])


def command_row(ctx: HubContext, device_id: str, model: type[CommandBase],
                order_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """The outbox row of a device command (``command_id`` aside), for callers that queue
    many at once: ``insert(outbox)`` with a list of these rows."""
    command_id = fields.pop("command_id", None) or uuid.uuid4().hex
    command_type = model.model_fields["type"].default
    if order_id is not None and "order_id" in model.model_fields:
        fields["order_id"] = order_id
    payload = ctx.encode(model, command_id=command_id,
                         expires_at=ctx.now() + timedelta(seconds=ctx.settings.command_ttl_s),
                         **fields)
    return {"kind": "mqtt", "topic": ctx.device_topic("cmd", device_id, command_type),
            "payload": payload, "order_id": order_id, "created_at": ctx.now(),
            "command_id": command_id}


def queue_notification(uow: UnitOfWork, ctx: HubContext, template: str, to: str | None,
                       order_id: str, **context: Any) -> None:
    uow.repo.add_outbox_rows([notification_row(ctx, template, to, order_id, **context)])


def notification_row(ctx: HubContext, template: str, to: str | None, order_id: str,
                     **context: Any) -> dict[str, Any]:
    """The outbox row of a notification, for callers that queue many at once."""
    payload = json.dumps({"template": template, "to": to,
                          "context": {"order_id": order_id, **context}}, default=str)
    return {"kind": "notify", "topic": template, "payload": payload, "order_id": order_id,
            "created_at": ctx.now()}
