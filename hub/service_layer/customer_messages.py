"""Customer messages: queued in the outbox with the state change that causes them, sent by
the outbox dispatcher, each at most once.

Every message has an idempotency key (order + template + event). Queuing a key that is
already known does nothing, and the dispatcher sends a key only while it is ``queued``:
so a tracking event seen twice, a handler retried or two hub replicas never e-mail the
customer twice. The one window left — the SMTP server took the message and the hub died
before its commit — resends with the same Message-ID, which mail systems de-duplicate.

Failed sends are retried with exponential backoff up to ``message_max_attempts``; an
address on the opt-out list is not written to. Every outcome goes on the order's timeline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, insert, select, update

from hub.adapters.notifications.base import Notifier
from hub.adapters.notifications.smtp import message_id_for
from hub.adapters.orm_customer import customer_messages, message_opt_outs
from hub.domain.model import Order
from hub.domain.timeline import Step
from hub.messages.render import DEFAULT_CHANNEL, language_for
from hub.messages.tracking_links import courier_name, tracking_url
from hub.service_layer.context import HubContext
from hub.service_layer.outbox import notification_row
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# template -> (step, timeline event name) recorded when the message is sent
TIMELINE_OF_TEMPLATE: dict[str, tuple[Step, str]] = {
    "order_confirmed": (Step.CUSTOMER_CONFIRMED, "customer_notified"),
    "shipped": (Step.SHIPPING_NOTIFIED, "shipping_notified"),
    "out_for_delivery": (Step.SHIPPING_NOTIFIED, "delivery_update_sent"),
    "delivered": (Step.SHIPPING_NOTIFIED, "delivery_update_sent"),
    "delay": (Step.SHIPPING_NOTIFIED, "delivery_update_sent"),
    "return_authorised": (Step.RETURN, "return_message_sent"),
    "refund_issued": (Step.SOLUTION, "refund_message_sent"),
    "review_request": (Step.REVIEW_REQUESTED, "review_requested"),
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def message_key(order_id: str, template: str, event: str) -> str:
    return f"{order_id}:{template}:{event}"[:200]


def order_context(uow: UnitOfWork, ctx: HubContext, order: Order,
                  **extra: Any) -> dict[str, Any]:
    """What the templates can use about an order (rendered when the message is sent)."""
    names = {s.sku: s.name for s in uow.repo.skus(sorted({ln.sku for ln in order.lines}))}
    return order_context_named(ctx, order, names, **extra)


def order_context_named(ctx: HubContext, order: Order, names: Mapping[str, str],
                        **extra: Any) -> dict[str, Any]:
    """order_context with the SKU names already read (``names``: SKU -> name)."""
    ship_to = order.ship_to or {}
    context: dict[str, Any] = {
        "shop_name": ctx.settings.shop_name, "order_id": order.id, "order_ref": order.channel_ref,
        "channel": order.channel, "customer_name": ship_to.get("name") or "there",
        "language": language_for(ship_to, ctx.settings.message_default_language),
        "lines": [{"sku": ln.sku, "name": names.get(ln.sku, ln.sku), "qty": ln.qty}
                  for ln in order.lines],
        "total": str(order.total), "currency": order.currency,
    }
    if "tracking_number" in extra and "courier" in extra:
        extra.setdefault("courier_name", courier_name(extra["courier"]))
        extra.setdefault("tracking_url", tracking_url(extra["courier"], extra["tracking_number"],
                                                      ctx.settings.tracking_urls))
    context.update(extra)
    return context


def queue_message(uow: UnitOfWork, ctx: HubContext, order: Order, template: str, event: str,
                  **extra: Any) -> bool:
    """Queue one message for the order's customer; False when this key was queued before."""
    key = message_key(order.id, template, event)
    if uow.session.scalar(select(customer_messages.c.key).where(
            customer_messages.c.key == key)) is not None:
        return False
    message, notice = _message_rows(ctx, order, template, key,
                                    order_context(uow, ctx, order, **extra))
    uow.session.execute(insert(customer_messages).values(message))
    uow.repo.add_outbox_rows([notice])
    return True


def queue_messages(uow: UnitOfWork, ctx: HubContext, orders: Sequence[Order], template: str,
                   event: str, names: Mapping[str, str]) -> None:
    """queue_message for many orders: one query for the keys queued before and one insert
    each for the messages and their outbox rows (``names``: SKU -> name of their lines)."""
    keyed = {message_key(order.id, template, event): order for order in orders}
    if not keyed:
        return
    queued = set(uow.session.scalars(select(customer_messages.c.key).where(
        customer_messages.c.key.in_(list(keyed)))))
    rows = [_message_rows(ctx, order, template, key, order_context_named(ctx, order, names))
            for key, order in keyed.items() if key not in queued]
    if rows:
        uow.session.execute(insert(customer_messages), [message for message, _ in rows])
        uow.repo.add_outbox_rows([notice for _, notice in rows])


def _message_rows(ctx: HubContext, order: Order, template: str, key: str,
                  context: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer_messages row of a message and the outbox row that sends it."""
    context["message_key"] = key
    context["message_id"] = message_id_for(key, ctx.settings.message_from)
    message = {
        "key": key, "order_id": order.id, "template": template,
        "recipient": order.customer_email, "channel": context.get("channel") or DEFAULT_CHANNEL,
        "language": context["language"], "context": json.loads(json.dumps(context, default=str)),
        "status": "queued", "attempts": 0, "message_id": context["message_id"],
        "created_at": ctx.now()}
    notice = notification_row(ctx, template, order.customer_email, order.id,
                              **{k: v for k, v in context.items() if k != "order_id"})
    return message, notice


def is_opted_out(uow: UnitOfWork, email: str) -> bool:
    return uow.session.scalar(select(message_opt_outs.c.email).where(
        message_opt_outs.c.email == normalise_email(email))) is not None


def opt_out(uow: UnitOfWork, ctx: HubContext, email: str, reason: str | None) -> bool:
    """True when the address was added (False: it was already opted out)."""
    if is_opted_out(uow, email):
        return False
    uow.session.execute(insert(message_opt_outs).values(
        email=normalise_email(email), reason=reason, created_at=ctx.now()))
    return True


def opt_in(uow: UnitOfWork, email: str) -> bool:
    result = uow.session.execute(delete(message_opt_outs).where(
        message_opt_outs.c.email == normalise_email(email)))
    return bool(getattr(result, "rowcount", 0))


def backoff(ctx: HubContext, attempts: int) -> timedelta:
    seconds = ctx.settings.message_backoff_s * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, ctx.settings.message_backoff_max_s))


def _record(uow: UnitOfWork, ctx: HubContext, order_id: str | None, template: str,
            name: str | None = None, outcome: str = "ok", **details: Any) -> None:
    step, default_name = TIMELINE_OF_TEMPLATE.get(template, (None, None))
    if step is None or order_id is None:
        return
    order = uow.repo.get_order(order_id, lock=True)
    if order is not None:
        order.record(step, name or default_name or "customer_message", ctx.now(),
                     outcome=outcome, template=template, **details)


def _as_aware(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:  # SQLite gives naive UTC back
        return at.replace(tzinfo=UTC)
    return at


def deliver(uow: UnitOfWork, ctx: HubContext, notifier: Notifier, row: Any) -> bool:
    """Send one ``notify`` outbox row. Returns False when it waits for its next attempt."""
    data = json.loads(row.payload)
    template, to, context = data["template"], data.get("to"), data["context"]
    key = context.get("message_key")
    message = None if key is None else uow.session.execute(
        select(customer_messages).where(customer_messages.c.key == key)).first()
    if message is None:  # an internal notice (restock): no customer, no idempotency row
        try:
            notifier.send(template, to, context)
        except Exception as exc:
            uow.repo.mark_outbox(row.id, None, error=str(exc))
            log.warning("notification_failed", template=template, error=str(exc))
            return True
        uow.repo.mark_outbox(row.id, ctx.now())
        return True
    now = ctx.now()
    if message.status != "queued":  # sent, suppressed or failed before: never again
        uow.repo.mark_outbox(row.id, now)
        return True
    next_at = _as_aware(message.next_attempt_at)
    if next_at is not None and next_at > now:
        return False
    where = customer_messages.c.key == key
    if message.channel in ctx.settings.channels_that_message:
        outcome: str | None = "channel_messages_customer"
    elif not to:
        outcome = "no_address"
    else:
        outcome = "opted_out" if is_opted_out(uow, to) else None
    if outcome is not None:
        uow.session.execute(update(customer_messages).where(where).values(status="suppressed",
                                                                          last_error=outcome))
        uow.repo.mark_outbox(row.id, now)
        # not a mistake of the process: the outcome stays ok, the reason says why
        _record(uow, ctx, message.order_id, template, "customer_message_suppressed",
                reason=outcome)
        return True
    try:
        notifier.send(template, to, context)
    except Exception as exc:
        attempts = message.attempts + 1
        if attempts >= ctx.settings.message_max_attempts:
            uow.session.execute(update(customer_messages).where(where).values(
                status="failed", attempts=attempts, last_error=str(exc)[:2000]))
            uow.repo.mark_outbox(row.id, now, error=str(exc))
            _record(uow, ctx, message.order_id, template, "customer_message_failed",
                    "delivery_failed", error=str(exc)[:500], attempts=attempts)
        else:  # the outbox row waits for its retry time; other rows go on meanwhile
            retry_at = now + backoff(ctx, attempts)
            uow.session.execute(update(customer_messages).where(where).values(
                attempts=attempts, last_error=str(exc)[:2000], next_attempt_at=retry_at))
            uow.repo.mark_outbox(row.id, None, error=str(exc), not_before=retry_at)
        log.warning("customer_message_failed", template=template, key=key,
                    attempts=attempts, error=str(exc))
        return True
    uow.session.execute(update(customer_messages).where(where).values(
        status="sent", attempts=message.attempts + 1, sent_at=now, last_error=None))
    uow.repo.mark_outbox(row.id, now)
    _record(uow, ctx, message.order_id, template, to=to, message_id=message.message_id)
    return True


def messages_of(uow: UnitOfWork, order_id: str) -> list[dict[str, Any]]:
    rows = uow.session.execute(select(customer_messages).where(
        customer_messages.c.order_id == order_id).order_by(customer_messages.c.created_at))
    return [{"key": r.key, "template": r.template, "to": r.recipient, "status": r.status,
             "attempts": r.attempts, "channel": r.channel, "language": r.language,
             "message_id": r.message_id, "last_error": r.last_error,
             "created_at": r.created_at, "sent_at": r.sent_at} for r in rows]
