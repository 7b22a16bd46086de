"""The one composition root: builds the hub from settings with real (or given) adapters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from edge.wire import topics
from hub.adapters import migrate, orm
from hub.adapters.couriers.base import Courier
from hub.adapters.couriers.factory import build_courier
from hub.adapters.db import make_engine
from hub.adapters.embedded_broker import EmbeddedBroker
from hub.adapters.mqtt import HubMqtt
from hub.adapters.notifications.base import LogNotifier, Notifier
from hub.adapters.notifications.smtp import SmtpNotifier
from hub.config import Settings
from hub.domain import channel_commands, commands
from hub.entrypoints.mqtt_worker import DeviceMessageWorker
from hub.service_layer.channels import intake as channel_intake
from hub.service_layer.channels import payments as channel_payments
from hub.service_layer.channels import stock_sync as channel_stock_sync
from hub.service_layer.channels.push_dispatcher import ChannelPushDispatcher
from hub.service_layer.channels.workers import push_clients
from hub.service_layer.context import HubContext
from hub.service_layer.dispatcher import OutboxDispatcher
from hub.service_layer.handlers import catalogue, customer, devices, orders, returns
from hub.service_layer.handlers import couriers as courier_handlers
from hub.service_layer.handlers import waves as wave_handlers
from hub.service_layer.messagebus import MessageBus
from hub.service_layer.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

COMMAND_HANDLERS: dict[type[commands.Command], Any] = {
    commands.CreateOrder: orders.create_order,
    commands.CreateOrders: orders.create_orders,
    commands.ReleaseOrder: orders.release_order,
    commands.AddSku: catalogue.add_sku,
    commands.AddLocation: catalogue.add_location,
    commands.ReceiveStock: catalogue.receive_stock,
    commands.AdjustStock: catalogue.adjust_stock,
    commands.DeviceMessage: devices.handle_device_message,
    commands.DeviceBatch: devices.handle_device_batch,
    wave_handlers.BuildWave: wave_handlers.build_wave,
    channel_commands.IngestChannelOrder: channel_intake.ingest_payload,
    channel_commands.ImportCsvOrders: channel_intake.import_csv,
    channel_commands.ReprocessQuarantined: channel_intake.reprocess,
    channel_commands.MapListing: channel_intake.map_listing,
    channel_commands.RecordPayment: channel_payments.record_payment,
    channel_commands.TrackChannelStock: channel_stock_sync.track_stock,
    courier_handlers.CloseDay: courier_handlers.close_day,
    courier_handlers.ScanOut: courier_handlers.scan_out,
    courier_handlers.Dispatch: courier_handlers.dispatch,
    courier_handlers.RecordTracking: courier_handlers.record_tracking,
    courier_handlers.ReprintLabel: courier_handlers.reprint_label,
    customer.RequestReviews: customer.request_reviews,
    customer.OptOut: customer.opt_out,
    customer.OptIn: customer.opt_in,
    returns.RecordComplaint: returns.record_complaint,
    returns.OfferSolution: returns.offer_solution,
    returns.AuthoriseReturn: returns.authorise_return,
    returns.ReceiveReturn: returns.receive_return,
    returns.InspectReturn: returns.inspect_return,
    returns.IssueRefund: returns.issue_refund,
    returns.CreateReplacement: returns.create_replacement,
}


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    ctx: HubContext
    bus: MessageBus
    notifier: Notifier
    session_factory: sessionmaker[Any]
    outbox_queued: threading.Event  # set by a commit that queued outbox rows
    broker: EmbeddedBroker | None = None
    mqtt: HubMqtt | None = None
    worker: DeviceMessageWorker | None = None
    dispatcher: OutboxDispatcher | None = None
    _stopped: bool = field(default=False, repr=False)

    def uow(self, read_only: bool = False) -> UnitOfWork:
        if read_only:
            return UnitOfWork(self.session_factory, read_only=True)
        return self.bus.uow_factory()

    def handle(self, command: commands.Command) -> Any:
        result = self.bus.handle(command)
        if self.dispatcher is not None:
            self.dispatcher.kick()
        return result

    @property
    def mqtt_url(self) -> str | None:
        if self.settings.mqtt_url:
            return self.settings.mqtt_url
        return self.broker.url if self.broker else None

    def start_messaging(self) -> None:
        """Start the embedded broker (when no external one is set), MQTT, worker, outbox."""
        if not self.settings.mqtt_url:
            self.broker = EmbeddedBroker(self.settings.embedded_broker_port)
            self.broker.start()
        url = self.mqtt_url
        assert url is not None
        self.worker = DeviceMessageWorker(self.bus.handle, self.ctx, self._publish,
                                          after=self._kick_if_queued)
        self.mqtt = HubMqtt(url, topics.hub_subscriptions(self.settings.site,
                                                     self.settings.share_group),
                            self.worker.submit)
        self.dispatcher = OutboxDispatcher(self.bus.uow_factory, self.ctx, self.mqtt,
                                           self.notifier, channel_pushes=ChannelPushDispatcher(
                                               self.bus.uow_factory, self.ctx,
                                               push_clients(self.settings)))
        self.worker.start()
        self.mqtt.start()
        self.dispatcher.start()

    def _publish(self, topic: str, payload: str) -> object:
        assert self.mqtt is not None
        return self.mqtt.publish(topic, payload, qos=1)

    def _kick(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.kick()

    def _kick_if_queued(self) -> None:
        """After a device batch: wake the dispatchers only when something was queued (most
        events queue nothing, and a pass is a transaction on each dispatcher's thread);
        they also poll every ``outbox_poll_s``."""
        if self.outbox_queued.is_set():
            self.outbox_queued.clear()
            self._kick()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for part in (self.dispatcher, self.mqtt, self.worker, self.broker):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("stop_failed", part=type(part).__name__)
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, *, courier: Courier | None = None,
              notifier: Notifier | None = None, start_messaging: bool = False) -> Hub:
    settings = settings or Settings()
    orm.start_mappers()
    engine = make_engine(settings.database_url)
    if settings.auto_migrate:
        migrate.upgrade(engine)
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    ctx = HubContext(settings=settings, courier=courier or build_courier(settings))
    handlers = {kind: partial(handler, ctx=ctx) for kind, handler in COMMAND_HANDLERS.items()}
    hooks = [partial(channel_stock_sync.queue_stock_pushes, ctx=ctx)]  # stock -> channels
    outbox_queued = threading.Event()
    bus = MessageBus(lambda: UnitOfWork(session_factory, before_commit=hooks,
                                        on_outbox=outbox_queued.set), handlers, {})
    if notifier is None:
        notifier = (SmtpNotifier.from_settings(settings) if settings.smtp_host
                    else LogNotifier())
    hub = Hub(settings, engine, ctx, bus, notifier, session_factory, outbox_queued)
    if settings.bootstrap_api_key:
        from hub.service_layer.api_keys import ensure_key

        with hub.uow() as uow:
            ensure_key(uow, ctx, "bootstrap", settings.bootstrap_api_key,
                       ["ops", "channel", "courier", "device"])
    if start_messaging:
        hub.start_messaging()
    return hub
