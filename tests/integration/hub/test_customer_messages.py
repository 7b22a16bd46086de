"""Customer messages through the outbox to a real SMTP server (STARTTLS and login): what
arrives, its headers and links, sent once per event, retried with backoff, opt-outs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from edge.wire import messages as wire
from hub.adapters.couriers.base import TrackingUpdate
from hub.adapters.orm_customer import customer_messages
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from hub.service_layer.handlers import couriers, customer
from tests.integration.couriers.flow import event, pack_event
from tests.integration.hub.conftest import ADDRESS, LOCATIONS, SKUS
from tests.support.smtp_server import PASSWORD, USER, SmtpServer, smtp_server

SENDER = "Tea & Mugs <orders@shop.example>"
TRACK = "https://shop.example/track/{tracking_number}"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def live_hub(database_url: str, smtp: SmtpServer, **settings: Any) -> Hub:
    values: dict[str, Any] = dict(
        database_url=database_url, site="test", embedded_broker_port=0,
        smtp_host=smtp.host, smtp_port=smtp.port, smtp_username=USER, smtp_password=PASSWORD,
        smtp_ca_file=smtp.ca_file,
        message_from=SENDER, shop_name="Tea & Mugs", message_backoff_s=0.05,
        message_backoff_max_s=0.2, tracking_urls={"manual": TRACK},
        review_request_after_days=3)
    values.update(settings)
    hub = bootstrap(Settings(**values), start_messaging=False)
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    hub.start_messaging()
    return hub


def new_order(ref: str, email: str = "ada@example.com", channel: str = "web",
              **ship_to: str) -> commands.CreateOrder:
    return commands.CreateOrder(channel=channel, channel_ref=ref,
                                lines=[commands.NewLine("MUG", 1)],
                                ship_to={**ADDRESS, **ship_to}, payment_status="paid",
                                customer_email=email)


def shipped_order(hub: Hub, ref: str) -> str:
    """An order with a customer e-mail, released, picked and packed (booked by van)."""
    order_id, _ = hub.handle(new_order(ref))
    hub.handle(commands.ReleaseOrder(order_id))
    with hub.uow() as uow:
        picks = [(t.id, p.id, p.sku, p.location, p.qty)
                 for t in uow.repo.tasks_for_order(order_id) for p in t.picks]
    for seq, (task_id, pick_id, sku, location, qty) in enumerate(picks, start=1):
        hub.handle(event(wire.PickConfirmed, seq, task_id=task_id, pick_id=pick_id,
                         order_id=order_id, sku=sku, location=location, qty=qty,
                         method="scan"))
    hub.handle(pack_event(order_id, len(picks) + 1, "MUG", 1, 490.0))
    return order_id


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def timeline_names(hub: Hub, order_id: str) -> list[str]:
    with hub.uow() as uow:
        return [e.name for e in uow.repo.timeline(order_id)]


def wait_outbox_empty(hub: Hub, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hub.uow() as uow:
            if uow.repo.outbox_depth() == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the outbox did not drain")


def test_messages_from_order_to_review(database_url: str, smtp: SmtpServer) -> None:
    hub = live_hub(database_url, smtp)
    try:
        order_id = shipped_order(hub, "W-100")
        # the confirmation (English: a GB address)
        [confirmed] = smtp.wait_for(1)
        assert confirmed["Subject"] == "Your order W-100 is confirmed"
        assert confirmed["From"] == SENDER and confirmed["To"] == "ada@example.com"
        assert confirmed["Message-ID"].endswith("@shop.example>")
        text, html = parts(confirmed)
        assert "1 x Mug" in text and "Hello Ada Lovelace" in text
        assert "Tea &amp; Mugs" in html and "<li>1 \u00d7 Mug</li>" in html
        assert smtp.logins == [USER]  # logged in, which the server allows only over TLS

        # handed to the courier: the shipping message carries the tracking link
        manifest = hub.handle(couriers.CloseDay("manual"))
        [tracking_number] = manifest["missing"]
        hub.handle(couriers.ScanOut(manifest["id"], tracking_number))
        hub.handle(couriers.Dispatch(manifest["id"]))
        shipped = smtp.wait_for(2)[1]
        link = TRACK.format(tracking_number=tracking_number)
        assert shipped["Subject"] == "Your order W-100 is on its way"
        text, html = parts(shipped)
        assert f"Follow it here: {link}" in text and f'<a href="{link}">' in html

        # out for delivery and delivered; the same scans again send nothing more
        now = hub.ctx.now()
        scans = [TrackingUpdate(tracking_number, "out_for_delivery", now, "OFD", "With driver"),
                 TrackingUpdate(tracking_number, "delivered", now + timedelta(hours=3), "DEL",
                                "Delivered", location="Porch")]
        hub.handle(couriers.RecordTracking("manual", scans))
        got = smtp.wait_for(4)
        assert [m["Subject"] for m in got[2:]] == ["Your order W-100 is out for delivery",
                                                  "Your order W-100 has been delivered"]
        assert "(Porch)" in parts(got[3])[0]
        hub.handle(couriers.RecordTracking("manual", scans))
        hub.handle(couriers.RecordTracking("manual", scans[1:]))

        # a review request once the order has been delivered three days (and never twice)
        assert hub.handle(customer.RequestReviews(now + timedelta(days=2))) == []
        assert hub.handle(customer.RequestReviews(now + timedelta(days=4))) == [order_id]
        assert hub.handle(customer.RequestReviews(now + timedelta(days=5))) == []
        got = smtp.wait_for(5)
        wait_outbox_empty(hub)
        assert len(smtp.messages()) == 5
        assert got[4]["Subject"] == "How was your order W-100?"
        assert len({m["Message-ID"] for m in got}) == 5

        names = timeline_names(hub, order_id)
        assert names.count("customer_notified") == 1
        assert names.count("shipping_notified") == 1
        assert names.count("delivery_update_sent") == 2
        assert names.count("review_requested") == 1
    finally:
        hub.stop()


def test_retried_with_backoff_then_sent_once(sqlite_url: str, smtp: SmtpServer) -> None:
    smtp.refuse_next = 2
    hub = live_hub(sqlite_url, smtp)
    try:
        order_id, _ = hub.handle(new_order("W-200"))
        [message] = smtp.wait_for(1)
        assert message["Subject"] == "Your order W-200 is confirmed"
        wait_outbox_empty(hub)
        assert smtp.refused == 2 and len(smtp.messages()) == 1
        with hub.uow() as uow:
            row = uow.session.execute(select(customer_messages)).one()
        assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
        assert timeline_names(hub, order_id).count("customer_notified") == 1
    finally:
        hub.stop()


def test_gives_up_after_max_attempts(sqlite_url: str, smtp: SmtpServer) -> None:
    smtp.refuse_next = 100
    hub = live_hub(sqlite_url, smtp, message_max_attempts=3)
    try:
        order_id, _ = hub.handle(new_order("W-300"))
        wait_outbox_empty(hub)
        assert smtp.refused == 3 and smtp.messages() == []
        with hub.uow() as uow:
            row = uow.session.execute(select(customer_messages)).one()
            [failed] = [e for e in uow.repo.timeline(order_id)
                        if e.name == "customer_message_failed"]
        assert (row.status, row.attempts) == ("failed", 3)
        assert "451" in row.last_error
        assert failed.outcome == "delivery_failed" and failed.details["attempts"] == 3
    finally:
        hub.stop()


def test_opted_out_and_self_messaging_channels_get_nothing(sqlite_url: str,
                                                          smtp: SmtpServer) -> None:
    hub = live_hub(sqlite_url, smtp, channels_that_message=["amazon"])
    try:
        assert hub.handle(customer.OptOut("Bob@Example.com", "asked by phone")) is True
        opted, _ = hub.handle(new_order("W-400", email="bob@example.com"))
        marketplace, _ = hub.handle(new_order("A-400", channel="amazon"))
        hub.handle(new_order("W-401", email="eva@example.de", country="DE",
                             name="Eva Braun-Schmidt"))
        [message] = smtp.wait_for(1)
        wait_outbox_empty(hub)
        assert len(smtp.messages()) == 1
        assert message["To"] == "eva@example.de"
        assert message["Subject"] == "Ihre Bestellung W-401 ist bestätigt"
        assert "vielen Dank" in parts(message)[0]
        with hub.uow() as uow:
            [skipped] = [e for e in uow.repo.timeline(opted)
                         if e.name == "customer_message_suppressed"]
            [by_channel] = [e for e in uow.repo.timeline(marketplace)
                            if e.name == "customer_message_suppressed"]
        assert skipped.details["reason"] == "opted_out"
        assert by_channel.details["reason"] == "channel_messages_customer"
        assert "customer_notified" not in timeline_names(hub, opted)
    finally:
        hub.stop()


def test_a_message_waiting_for_its_retry_holds_nothing_up(sqlite_url: str,
                                                          smtp: SmtpServer) -> None:
    smtp.refuse_next = 1
    hub = live_hub(sqlite_url, smtp, message_backoff_s=3600.0, message_backoff_max_s=3600.0)
    try:
        first, _ = hub.handle(new_order("W-500"))
        deadline = time.monotonic() + 30
        while smtp.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        hub.handle(new_order("W-501"))
        [message] = smtp.wait_for(1)
        assert message["Subject"] == "Your order W-501 is confirmed"
        time.sleep(1.0)  # several outbox passes: the first is not tried again before its time
        assert smtp.refused == 1 and len(smtp.messages()) == 1
        with hub.uow() as uow:
            row = uow.session.execute(select(customer_messages).where(
                customer_messages.c.order_id == first)).one()
            assert uow.repo.outbox_depth() == 1
        assert (row.status, row.attempts) == ("queued", 1)
        assert "451" in row.last_error
    finally:
        hub.stop()
