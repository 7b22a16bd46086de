"""A courier outage while a pack event is handled: the event is not acknowledged (the bench
sends it again), and the resend books exactly one label."""

from __future__ import annotations

from typing import Any

from edge.wire.codec import encode
from hub.bootstrap import Hub
from hub.entrypoints.mqtt_worker import DeviceMessageWorker
from tests.integration.couriers.flow import pack_event, pick, timeline
from tests.integration.couriers.replay import ReplayServer
from tests.integration.couriers.test_booking_faults import ClickAndDropState, install


def test_pack_event_is_retried_after_a_courier_outage(hub: Hub, server: ReplayServer) -> None:
    state = ClickAndDropState(seed=1, timeout_share=0.0)
    install(server, state)
    down = {"on": True}

    def orders(seen: Any) -> tuple[int, Any]:
        return (503, {"message": "maintenance"}) if down["on"] else state.create(seen)

    server.on("POST", "/orders", orders)
    published: list[tuple[str, str]] = []
    worker = DeviceMessageWorker(hub.handle, hub.ctx, lambda t, p: published.append((t, p)))
    order_id, seq = pick(hub, "O-1", "MUG", 1)
    message = pack_event(order_id, seq + 1, "MUG", 1, 500.0)

    assert worker.process(message.topic, encode(message.message)) == "retry"
    assert not any("/ack" in topic for topic, _ in published)
    assert "shipping_booked" not in timeline(hub, order_id)

    down["on"] = False
    assert worker.process(message.topic, encode(message.message)) == "applied"
    assert worker.process(message.topic, encode(message.message)) == "duplicate"
    assert [o["orderReference"] for o in state.orders] == [f"{order_id}-1"]
    assert timeline(hub, order_id)["shipping_booked"].details["courier"] == "royalmail"
    assert sum("/ack" in topic for topic, _ in published) == 2
