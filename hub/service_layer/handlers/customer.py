"""Customer message commands: review requests (step 20) and e-mail opt-outs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from hub import errors
from hub.adapters.orm import timeline_events
from hub.analytics.pop import judge
from hub.analytics.rules import DEFAULT_RULES
from hub.domain.commands import Command
from hub.domain.timeline import Step
from hub.service_layer import customer_messages as messages
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

# anything after delivery that says the customer was not happy (a replacement order itself,
# marked "replacement_of", can still be perfect)
UNHAPPY_STEPS = frozenset({Step.COMPLAINT, Step.SOLUTION, Step.RETURN})
UNHAPPY_NAMES = frozenset({"replacement_created"})


@dataclass(frozen=True)
class RequestReviews(Command):
    """Queue a review request for every perfect order delivered ``review_request_after_days``
    ago (within the window); each order is asked once."""

    now: datetime | None = None


@dataclass(frozen=True)
class OptOut(Command):
    email: str
    reason: str | None = None


@dataclass(frozen=True)
class OptIn(Command):
    email: str


def delivered_between(uow: UnitOfWork, oldest: datetime, newest: datetime) -> list[str]:
    t = timeline_events.c
    names = [match.name for match in DEFAULT_RULES.delivered]
    first = func.min(t.at)
    rows = uow.session.execute(select(t.order_id).where(t.name.in_(names)).group_by(
        t.order_id).having(first <= newest, first >= oldest).order_by(t.order_id))
    return [row.order_id for row in rows]


def is_perfect(uow: UnitOfWork, order_id: str, promised_by: datetime | None) -> bool:
    """POP's verdict (complete, on time, undamaged, right documents) and no complaint,
    return or replacement of any kind."""
    timeline = list(uow.repo.timeline(order_id))
    if any(event.step in UNHAPPY_STEPS or event.name in UNHAPPY_NAMES for event in timeline):
        return False
    return judge(order_id, timeline, promised_by).perfect


def request_reviews(cmd: RequestReviews, uow: UnitOfWork, ctx: HubContext) -> list[str]:
    now = cmd.now or ctx.now()
    newest = now - timedelta(days=ctx.settings.review_request_after_days)
    oldest = newest - timedelta(days=ctx.settings.review_request_window_days)
    queued = []
    for order_id in delivered_between(uow, oldest, newest):
        order = uow.repo.get_order(order_id, lock=True)
        if order is None or not order.customer_email:
            continue
        if not is_perfect(uow, order_id, order.promised_by):
            continue
        url = ctx.settings.review_url
        extra = {"review_url": url.format(order_ref=order.channel_ref, order_id=order.id)
                 } if url else {}
        if messages.queue_message(uow, ctx, order, "review_request", "delivered", **extra):
            queued.append(order_id)
    uow.commit()
    return queued


def opt_out(cmd: OptOut, uow: UnitOfWork, ctx: HubContext) -> bool:
    if "@" not in cmd.email:
        raise errors.InvalidInput(f"{cmd.email!r} is not an e-mail address")
    added = messages.opt_out(uow, ctx, cmd.email, cmd.reason)
    uow.commit()
    return added


def opt_in(cmd: OptIn, uow: UnitOfWork, ctx: HubContext) -> None:
    if not messages.opt_in(uow, cmd.email):
        raise errors.NotFound(f"{cmd.email!r} has not opted out")
    uow.commit()
