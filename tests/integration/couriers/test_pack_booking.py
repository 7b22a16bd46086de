"""pack_verified books through the rules: the cheapest eligible service, explained on the
timeline; "no service fits" is an exception on the order, not a crash."""

from __future__ import annotations

from hub.bootstrap import Hub
from tests.integration.couriers.flow import pick_and_pack, timeline
from tests.integration.couriers.replay import ReplayServer
from tests.integration.couriers.test_booking_faults import ClickAndDropState, install


def test_cheapest_service_is_booked_with_the_courier_and_explained(
        hub: Hub, server: ReplayServer) -> None:
    state = ClickAndDropState(seed=1, timeout_share=0.0)
    install(server, state)
    order_id = pick_and_pack(hub, "R-1", "MUG", 1, 500.0)
    events = timeline(hub, order_id)
    booked = events["shipping_booked"]
    assert booked.details["courier"] == "royalmail" and booked.details["service"] == "TPS48"
    assert booked.details["why"].startswith("royalmail:TPS48 at 3.20")
    assert "manual:VAN 8.00" in booked.details["why"]
    assert booked.details["why"].endswith("tracking number is a valid S10 number")
    assert events["tracking_recorded"].details["tracking_number"] == \
        state.orders[0]["trackingNumber"]
    sent = server.requests("POST", "/orders")[0].body["items"][0]
    assert sent["orderReference"] == f"{order_id}-1"
    assert sent["postageDetails"]["serviceCode"] == "TPS48"


def test_override_sends_tees_by_van(hub: Hub, server: ReplayServer) -> None:
    order_id = pick_and_pack(hub, "R-2", "TEE", 1, 400.0)
    booked = timeline(hub, order_id)["shipping_booked"]
    assert (booked.details["courier"], booked.details["service"]) == ("manual", "VAN")
    assert "overrides: tees go by van" in booked.details["why"]
    assert server.requests("POST", "/orders") == []


def test_no_service_fits_is_an_exception_on_the_order(hub: Hub, server: ReplayServer) -> None:
    order_id = pick_and_pack(hub, "R-3", "MUG", 1, 45000.0)
    events = timeline(hub, order_id)
    assert "shipping_booked" not in events
    exception = events["shipping_exception"]
    assert exception.outcome == "no_service_fits"
    assert "royalmail:TPS48: 45000 g is over its 2000 g limit" in exception.details["reasons"]
    with hub.uow() as uow:
        assert uow.repo.shipment_for_order(order_id) is None
        assert uow.repo.get_order(order_id).status == "picked"  # type: ignore[union-attr]
