"""Idempotent booking under faults: a Click & Drop server that books and then times out on
20 % of the booking calls. Every parcel must end with exactly one label at the courier."""

from __future__ import annotations

import base64
import random
import threading
from collections import Counter
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from hub.adapters import migrate, orm
from hub.adapters.couriers.base import BookingRequest, CourierRejected, CourierTimeout
from hub.adapters.couriers.dpd import DpdUk
from hub.adapters.couriers.idempotent import CannotReconcile, IdempotentCourier
from hub.adapters.couriers.ledger import BookingLedger
from hub.adapters.couriers.royalmail import RoyalMailClickAndDrop
from hub.adapters.db import make_engine
from hub.adapters.orm_couriers import courier_bookings
from hub.domain.tracking import is_valid_s10, s10_number
from tests.integration.couriers.conftest import sample
from tests.integration.couriers.replay import ReplayServer, Stall, replay_server

TIMEOUT_S = 0.3  # generous: the machine is shared, and a slow answer must not be a stall
SAMPLE_PDF = base64.b64decode(sample("courier_dhl_express_mydhl_shipment_response.json")
                              ["documents"][0]["content"])


class ClickAndDropState:
    """What the courier holds: orders by reference (a duplicate would be a second label)."""

    def __init__(self, seed: int, timeout_share: float) -> None:
        self.rng = random.Random(seed)
        self.timeout_share = timeout_share
        self.lock = threading.Lock()
        self.orders: list[dict[str, Any]] = []
        self.post_calls = 0
        self.timeouts = 0

    def create(self, seen: Any) -> tuple[int, Any]:
        item = seen.body["items"][0]
        with self.lock:
            self.post_calls += 1
            number = len(self.orders) + 1
            order = {"orderIdentifier": number, "orderReference": item["orderReference"],
                     "createdOn": "2026-11-26T10:00:00Z",
                     "trackingNumber": s10_number("TT", number, "GB"),
                     "label": base64.b64encode(SAMPLE_PDF).decode()}
            self.orders.append(order)  # booked, whatever happens to the answer
            stall = self.rng.random() < self.timeout_share
            self.timeouts += stall
        if stall:
            raise Stall(TIMEOUT_S * 3)
        return 200, {"successCount": 1, "errorsCount": 0, "createdOrders": [order]}

    def find(self, seen: Any) -> tuple[int, Any]:
        reference = unquote(seen.path.split("/orders/", 1)[1]).strip('"')
        with self.lock:
            found = [o for o in self.orders if o["orderReference"] == reference]
        if not found:
            return 404, {"message": "not found"}
        return 200, [{k: v for k, v in o.items() if k != "label"} for o in found]

    def label(self, seen: Any) -> tuple[int, Any]:
        number = int(seen.path.split("/")[2])
        with self.lock:
            order = self.orders[number - 1]
        return 200, base64.b64decode(order["label"])


def install(server: ReplayServer, state: ClickAndDropState) -> None:
    server.on("POST", "/orders", state.create)
    server.on("GET", r'/orders/".*"', state.find)
    server.on("GET", r"/orders/\d+/label", state.label)


def request(i: int) -> BookingRequest:
    return BookingRequest(order_id=f"ord_{i:04d}", parcel_id=f"ord_{i:04d}-1",
                          ship_to={"name": "N", "line1": "1 Road", "city": "Leeds",
                                   "postcode": "LS1 1AA", "country": "GB"},
                          weight_g=500.0, service_level="standard", serial=i)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_500_bookings_with_20_percent_timeouts_after_booking(
        backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    orm.start_mappers()
    engine = make_engine(url)
    migrate.upgrade(engine)
    ledger = BookingLedger(engine)
    state = ClickAndDropState(seed=6, timeout_share=0.2)
    with replay_server() as server:
        install(server, state)
        courier = IdempotentCourier(RoyalMailClickAndDrop(server.url, timeout_s=TIMEOUT_S),
                                    ledger, attempts=3, backoff_s=0.0)
        bookings = [courier.book(_request(i)) for i in range(500)]
        # the device retries every pack event once more: nothing new may be bought
        again = [courier.book(_request(i)) for i in range(0, 500, 5)]
    per_reference = Counter(o["orderReference"] for o in state.orders)
    labels = {b.tracking_number: b.label for b in bookings}
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(courier_bookings.c.status, func.count())
                                     .group_by(courier_bookings.c.status)).all())
    engine.dispose()
    assert 80 <= state.timeouts <= 120, state.timeouts  # about 20 % of 500 booking calls
    assert len(labels) == 500 and all(label.startswith(b"%PDF") for label in labels.values())
    assert all(is_valid_s10(n) for n in labels)
    assert max(per_reference.values()) == 1 and len(per_reference) == 500  # 0 duplicates
    assert state.post_calls == 500  # every timed-out booking was reconciled, not re-sent
    assert statuses == {"booked": 500}  # 0 left pending
    assert [b.tracking_number for b in again] == [bookings[i].tracking_number
                                                  for i in range(0, 500, 5)]


_request = request


def test_rejection_is_recorded_and_not_retried(sqlite_url: str) -> None:
    orm.start_mappers()
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    ledger = BookingLedger(engine)
    with replay_server() as server:
        server.on("POST", "/orders", (400, {"message": "postcode invalid"}))
        courier = IdempotentCourier(RoyalMailClickAndDrop(server.url), ledger, backoff_s=0)
        with pytest.raises(CourierRejected):
            courier.book(_request(1))
        assert len(server.requests("POST", "/orders")) == 1
    entry = ledger.get("ord_0001-1")
    assert entry is not None and entry.status == "failed" and "postcode" in (entry.error or "")
    engine.dispose()


def test_unavailable_then_recovers(sqlite_url: str) -> None:
    orm.start_mappers()
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    state = ClickAndDropState(seed=1, timeout_share=0.0)
    calls = {"n": 0}

    def flaky(seen: Any) -> tuple[int, Any]:
        calls["n"] += 1
        return (503, {"message": "busy"}) if calls["n"] < 3 else state.create(seen)

    with replay_server() as server:
        install(server, state)
        server.on("POST", "/orders", flaky)
        courier = IdempotentCourier(RoyalMailClickAndDrop(server.url), BookingLedger(engine),
                                    attempts=3, backoff_s=0)
        booking = courier.book(_request(2))
    assert booking.tracking_number == state.orders[0]["trackingNumber"]
    assert len(state.orders) == 1
    engine.dispose()


def test_control_naive_retry_after_timeout_buys_twice() -> None:
    """The same faults without the ledger: retrying a timed-out booking duplicates labels."""
    state = ClickAndDropState(seed=6, timeout_share=0.2)
    with replay_server() as server:
        install(server, state)
        courier = RoyalMailClickAndDrop(server.url, timeout_s=TIMEOUT_S)
        for i in range(50):
            for _attempt in range(3):
                try:
                    courier.book(_request(i))
                    break
                except CourierTimeout:
                    continue
    duplicates = sum(n - 1 for n in Counter(o["orderReference"] for o in state.orders).values())
    assert 0 < duplicates <= state.timeouts


def test_timeout_with_a_courier_that_cannot_be_asked_is_left_for_a_person(
        sqlite_url: str) -> None:
    orm.start_mappers()
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    ledger = BookingLedger(engine)

    def stall(_seen: Any) -> Any:
        raise Stall(TIMEOUT_S * 3)

    with replay_server() as server:
        server.on("POST", "/shipping/shipment", stall)
        courier = IdempotentCourier(DpdUk(server.url, timeout_s=TIMEOUT_S), ledger, backoff_s=0)
        for _ in range(2):  # the bench sends the pack event again: still one call
            with pytest.raises(CannotReconcile, match="cannot be asked"):
                courier.book(_request(3))
        assert len(server.requests("POST", "/shipping/shipment")) == 1
    entry = ledger.get("ord_0003-1")
    assert entry is not None and entry.status == "pending"
    engine.dispose()
