"""Tracking back to the channel an order came from (step 14: the channel tells the buyer).

Orders whose label was printed and whose tracking was not yet pushed are found by a sweep
(the timeline event ``channel_tracking_pushed`` marks the push), so a failed push is simply
tried again on the next sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from decimal import Decimal

import structlog

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.base import ChannelAdapter, ChannelLine, ChannelOrder, Tracking
from hub.adapters.channels.http import ChannelHttp
from hub.domain.timeline import Step
from hub.errors import HubError
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


class TrackingPusher:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], ctx: HubContext,
                 clients: dict[str, tuple[ChannelAdapter, ChannelHttp]]) -> None:
        self.uow_factory = uow_factory
        self.ctx = ctx
        self.clients = clients

    def sweep(self) -> dict[str, str]:
        """Push every pending order; returns order id -> pushed | failed: reason."""
        with self.uow_factory() as uow:
            pending = ChannelRepository(uow.session).orders_awaiting_tracking_push(
                sorted(self.clients))
        return {order_id: self.push(order_id) for order_id in pending}

    def push(self, order_id: str) -> str:
        with self.uow_factory() as uow:
            order = uow.repo.get_order(order_id)
            shipment = uow.repo.shipment_for_order(order_id)
            view = ChannelRepository(uow.session).channel_order(
                order.channel, order.channel_ref) if order else None
        if order is None or shipment is None or order.channel not in self.clients:
            return "skipped"
        adapter, http = self.clients[order.channel]
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
        try:
            http.request(request.method, request.path, json=request.body)
        except HubError as exc:
            self._record(order_id, "channel_tracking_failed", "tracking_push_failed",
                         error=exc.detail)
            log.warning("tracking_push_failed", order_id=order_id, error=exc.detail)
            return f"failed: {exc.detail}"
        self._record(order_id, "channel_tracking_pushed", "ok",
                     tracking_number=shipment.tracking_number, path=request.path)
        return "pushed"

    def _record(self, order_id: str, name: str, outcome: str, **details: object) -> None:
        with self.uow_factory() as uow:
            order = uow.repo.get_order(order_id, lock=True)
            if order is not None:
                order.record(Step.SHIPPING_NOTIFIED, name, self.ctx.now(),
                             actor=f"channel:{order.channel}", outcome=outcome, **details)
            uow.commit()
