"""The MQTT link against a real Mosquitto, with a plain paho client playing the hub."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from edge.link import Link, LinkSettings, PeripheralReport
from edge.outbox import Outbox
from edge.wire import topics
from edge.wire.messages import CommandBase, PickConfirmed, PickLine, PickTask
from tests.integration.edge_link.edge_hub_double import TestHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.timeout(60)]

DEVICE = "zone-a"


class Running:
    """A started link plus what it received."""

    def __init__(self, url: str, site: str, outbox: Outbox, resend_after_s: float) -> None:
        self.commands: list[CommandBase] = []
        self.link = Link(
            LinkSettings(device_id=DEVICE, site=site, mqtt_url=url, role="pick_zone", zone="A",
                         locations=["A01-01-A"], version="test", health_interval_s=1.0,
                         resend_after_s=resend_after_s, keepalive_s=5),
            outbox, on_command=self.commands.append,
            peripherals=lambda: [PeripheralReport("scanner", "scanner", "ok")])
        self.link.start()
        assert self.link.wait_connected(10), "link did not connect"

    def event(self, n: int = 1) -> PickConfirmed:
        event = self.link.build(PickConfirmed, task_id="T1", pick_id=f"P{n}", order_id="O1",
                                sku="SKU1", location="A01-01-A", qty=1, method="scan")
        self.link.enqueue([event])
        return event

    def drop_connection(self) -> None:
        """Cut the TCP connection without DISCONNECT, as a crash or a pulled cable would."""
        sock = self.link._client.socket()
        assert sock is not None
        sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite")
    yield box
    box.close()


@pytest.fixture
def make_link(mosquitto_url: str, unique_site: str, outbox: Outbox) -> Iterator[Any]:
    started: list[Running] = []

    def make(resend_after_s: float = 30.0) -> Running:
        running = Running(mosquitto_url, unique_site, outbox, resend_after_s)
        started.append(running)
        return running

    yield make
    for running in started:
        running.link.stop()


def is_status(state: str) -> Any:
    return lambda m: m.topic.endswith(f"{DEVICE}/status") and m.payload["state"] == state


def test_birth_is_retained_with_counter_role_and_peripherals(
        make_link: Any, mosquitto_url: str, unique_site: str) -> None:
    running = make_link()
    late = TestHub(mosquitto_url, unique_site)  # subscribes after the birth
    try:
        [birth] = late.wait_for(is_status("online"))
        assert birth.retain
        p = birth.payload
        assert (p["bdseq"], p["role"], p["zone"]) == (running.link.bdseq, "pick_zone", "A")
        assert p["locations"] == ["A01-01-A"] and p["peripherals"] == {"scanner": "ok"}
        assert p["device_id"] == DEVICE and p["boot_id"] == running.link.boot_id
        [periph] = late.wait_for(lambda m: "/peripheral/scanner/status" in m.topic)
        assert periph.retain and periph.payload["state"] == "ok"
        health = late.wait_for(lambda m: m.topic.endswith("/health"))[0].payload
        assert health["outbox_depth"] == 0
    finally:
        late.close()


def test_a_peripheral_change_while_connecting_reaches_the_hub(
        mosquitto_url: str, unique_site: str, outbox: Outbox, hub: TestHub) -> None:
    """A scale that comes online while the link is connecting: the agent's worker publishes the
    change while the connect handler is sending its snapshot of every peripheral. The hub must
    end up with the new state, not the snapshot's (it is retained: a dashboard would show the
    scale offline until its next change)."""
    truth = ["offline"]
    links: list[Link] = []

    def reports() -> list[PeripheralReport]:
        now = truth[-1]
        link = links[0] if links else None
        if (link is not None and not link.connected.is_set()
                and threading.current_thread() is not threading.main_thread()):
            # the state changes right after the connect handler read it; the worker reports it
            changed = "ok" if now == "offline" else "offline"
            truth.append(changed)
            worker = threading.Thread(target=link.publish_peripheral,
                                      args=(PeripheralReport("scale", "scale", changed),))
            worker.start()
            worker.join(0.3)
        return [PeripheralReport("scale", "scale", now)]

    link = Link(LinkSettings(device_id=DEVICE, site=unique_site, mqtt_url=mosquitto_url,
                             role="pack_bench", version="test"), outbox, peripherals=reports)
    links.append(link)
    link.start()
    try:
        assert link.wait_connected(10)
        assert len(truth) > 1, "no state change happened while connecting"

        def last_scale_state() -> str | None:
            states = hub.received(lambda m: m.topic.endswith(f"{DEVICE}/peripheral/scale/status"))
            return states[-1].payload["state"] if states else None

        deadline = time.monotonic() + 5
        while last_scale_state() != truth[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert last_scale_state() == truth[-1]
    finally:
        link.stop()


def test_last_will_marks_offline_on_abrupt_disconnect(make_link: Any, hub: TestHub) -> None:
    running = make_link()
    [birth] = hub.wait_for(is_status("online"))
    running.drop_connection()
    [death] = hub.wait_for(is_status("offline"))
    assert death.payload["bdseq"] == birth.payload["bdseq"]
    births = hub.wait_for(is_status("online"), count=2)  # reconnects with the next counter
    assert births[1].payload["bdseq"] == birth.payload["bdseq"] + 1


def test_clean_stop_publishes_offline(make_link: Any, hub: TestHub) -> None:
    running = make_link()
    hub.wait_for(is_status("online"))
    running.link.stop()
    [offline] = hub.wait_for(is_status("offline"))
    assert offline.payload["bdseq"] == running.link.bdseq


def test_event_stays_until_hub_ack_and_is_resent_as_replay(
        make_link: Any, hub: TestHub, outbox: Outbox) -> None:
    running = make_link(resend_after_s=0.5)
    event = running.event()
    [first] = hub.wait_for(lambda m: m.payload.get("msg_id") == event.msg_id)
    assert first.payload["replay"] is False and first.payload["seq"] == event.seq
    assert outbox.depth() == 1  # the broker's PUBACK deleted nothing
    resends = hub.wait_for(lambda m: m.payload.get("msg_id") == event.msg_id, count=2)
    assert resends[1].payload["replay"] is True
    hub.ack(DEVICE, [event.msg_id])
    deadline = time.monotonic() + 5
    while outbox.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.depth() == 0
    time.sleep(1.2)
    count = len([m for m in hub.events() if m.payload["msg_id"] == event.msg_id])
    time.sleep(1.2)
    assert len([m for m in hub.events() if m.payload["msg_id"] == event.msg_id]) == count


def test_unacked_events_are_resent_in_order_after_reconnect(
        make_link: Any, hub: TestHub) -> None:
    running = make_link(resend_after_s=60.0)
    sent = [running.event(n) for n in range(3)]
    hub.wait_for(lambda m: m.payload.get("msg_id") == sent[-1].msg_id)
    running.drop_connection()
    hub.wait_for(is_status("online"), count=2)
    ids = [e.msg_id for e in sent]
    replays = hub.wait_for(lambda m: m.payload.get("msg_id") in ids and m.payload["replay"],
                           count=3)
    assert [r.payload["msg_id"] for r in replays[:3]] == ids


def test_events_survive_a_restart_of_the_agent(
        mosquitto_url: str, unique_site: str, hub: TestHub, tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = Outbox(path)
    first = Running(mosquitto_url, unique_site, box, 60.0)
    event = first.event()
    hub.wait_for(lambda m: m.payload.get("msg_id") == event.msg_id)
    first.link.stop()
    box.close()
    box = Outbox(path)
    second = Running(mosquitto_url, unique_site, box, 60.0)
    try:
        again = hub.wait_for(lambda m: m.payload.get("msg_id") == event.msg_id, count=2)
        assert again[1].payload["replay"] is True
        assert second.link.bdseq == first.link.bdseq + 1
        assert second.link.boot_id != first.link.boot_id
    finally:
        second.link.stop()
        box.close()


def test_bad_command_payload_is_logged_and_ignored(make_link: Any, hub: TestHub) -> None:
    running = make_link()
    hub.wait_for(is_status("online"))
    with capture_logs() as logs:
        hub.raw(topics.command(hub.site, DEVICE, "pick_task"), b"{not json")
        hub.raw(topics.command(hub.site, DEVICE, "pick_task"), b'{"v": 1, "type": "pick_task"}')
        good = PickTask(**hub.envelope(), command_id="C1", task_id="T1", order_id="O1",
                        picks=[PickLine(pick_id="P1", location="A01-01-A", sku="S",
                                        barcode="1", qty=1)])
        hub.command(DEVICE, good)
        deadline = time.monotonic() + 5
        while not running.commands and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [c.command_id for c in running.commands] == ["C1"]
    bad = [e for e in logs if e["event"] == "bad_message_ignored"]
    assert [e["code"] for e in bad] == ["bad_json", "invalid"]
    assert running.link.connected.is_set()


def test_hub_error_moves_the_event_to_dead_letters(
        make_link: Any, hub: TestHub, outbox: Outbox) -> None:
    from edge.wire.messages import ErrorEvent

    running = make_link()
    event = running.event()
    hub.wait_for(lambda m: m.payload.get("msg_id") == event.msg_id)
    error = ErrorEvent(**hub.envelope(), ref_msg_id=event.msg_id, ref_topic="x",
                       code="rejected", reason="unknown task")
    hub.raw(topics.error(hub.site, DEVICE), error.model_dump_json().encode())
    deadline = time.monotonic() + 5
    while outbox.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.depth() == 0
    assert outbox.dead_letters() == [(event.msg_id, event_topic(hub.site), "unknown task")]


def event_topic(site: str) -> str:
    return topics.event(site, DEVICE, "pick_confirmed")
