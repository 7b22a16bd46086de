"""Tracking back to the channel an order came from (step 14: the channel tells the buyer).

The first label print of a channel order queues a ``channel_tracking`` outbox row in the
same transaction (``queue_tracking_push``, called by the label_printed handler); the
channel push dispatcher sends it and records ``channel_tracking_pushed`` or
``channel_tracking_failed`` on the timeline, retrying with backoff until the channel accepts.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels import ADAPTERS
from hub.adapters.channels.base import (
    ChannelAdapter,
    ChannelLine,
    ChannelOrder,
    ChannelRequest,
    Tracking,
)
from hub.domain.model import Order, Shipment
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

TRACKING_PUSH = "channel_tracking"


def queue_tracking_push(uow: UnitOfWork, ctx: HubContext, order: Order,
                        shipment: Shipment) -> bool:
    """Queue the tracking push of an order that came from a marketplace/web shop channel."""
    if order.channel not in ADAPTERS:
        return False  # phone, manual, CSV: nobody to tell
    ChannelRepository(uow.session).queue_push(
        TRACKING_PUSH, f"{order.channel}/{order.id}", {"order_id": order.id,
                                                        "channel": order.channel,
                                  "shipment_id": shipment.id}, ctx.now(), order_id=order.id)
    return True


def tracking_request(uow: UnitOfWork, adapter: ChannelAdapter, order_id: str,
                     shipment_id: str | None = None) -> tuple[ChannelRequest, str] | None:
    """The channel request that confirms the shipment, and its tracking number; None when
    the order or its shipment is gone."""
    order = uow.repo.get_order(order_id)
    shipment = (uow.repo.get_shipment(shipment_id) if shipment_id
                else uow.repo.shipment_for_order(order_id))
    if order is None or shipment is None:
        return None
    view = ChannelRepository(uow.session).channel_order(order.channel, order.channel_ref)
    lines = [ChannelLine(line_ref=str(row["line_ref"]), qty=int(row["qty"]),
                         unit_price=Decimal("0"), line_total=Decimal("0"))
             for row in (view.lines if view is not None else [])]
    channel_order = ChannelOrder(
        channel=order.channel, channel_ref=order.channel_ref, lines=lines,
        ship_to=order.ship_to, currency=order.currency, total=order.total,
        payment_status=order.payment_status)
    shipped = shipment.label_printed_at or shipment.created_at
    request = adapter.tracking_request(channel_order, Tracking(
        carrier=shipment.courier, tracking_number=shipment.tracking_number,
        service=shipment.service,
        shipped_at=shipped.replace(tzinfo=UTC) if shipped.tzinfo is None else shipped))
    return request, shipment.tracking_number
