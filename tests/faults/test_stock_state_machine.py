"""A hypothesis state machine over receive / reserve / pick / short / return / adjust, run
against the real service layer and database, with a model of what the stock must be.

Every step goes through ``Hub.handle`` (the message bus, unit of work and SQL repository);
picks go in as device messages, some of them sent twice (a device's replay). After every
step: stock >= 0, reserved <= on hand, the ledger sums equal the balances, and the
balances equal the model's. "Return" puts returned units back on the shelf as a receipt
referenced ``return``, the way the hub books them today.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from edge.wire import messages as wire
from edge.wire import topics
from hub import errors
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.faults.ledger import assert_consistent
from tests.faults.sizes import FULL, report

pytestmark = [pytest.mark.timeout(900 if FULL else 180)]

LOCATIONS = ("A01-01-A", "A01-02-A")
SITE = "faults"
EXAMPLES = 200 if FULL else 25
STEPS = 40 if FULL else 20


@dataclass
class OpenPick:
    task_id: str
    pick_id: str
    order_id: str
    location: str
    left: int


def ean13() -> str:
    """A fresh EAN-13 (barcodes are unique per SKU)."""
    body = f"{uuid.uuid4().int % 10**12:012d}"
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class StockMachine(RuleBasedStateMachine):
    hub: Hub  # set by the test before the run
    steps = 0
    refused = 0
    done: dict[str, int] = {}  # rule -> times it changed something

    def __init__(self) -> None:
        super().__init__()
        self.sku = f"SM{uuid.uuid4().hex[:10].upper()}"
        self.hub.handle(commands.AddSku(self.sku, "State machine item", ean13(), 50.0))
        self.on_hand = dict.fromkeys(LOCATIONS, 0)
        self.reserved = dict.fromkeys(LOCATIONS, 0)
        self.picks: list[OpenPick] = []
        self.sent: list[tuple[str, wire.EventBase]] = []  # events applied, for replays
        for location in LOCATIONS:  # a balance row at every location
            self.hub.handle(commands.ReceiveStock(self.sku, location, 1))
            self.on_hand[location] += 1

    def _step(self) -> None:
        StockMachine.steps += 1

    def _did(self, what: str) -> None:
        StockMachine.done[what] = StockMachine.done.get(what, 0) + 1

    def _send(self, event: wire.EventBase) -> None:
        topic = topics.event(SITE, event.device_id, event.type)  # type: ignore[attr-defined]
        self.hub.handle(commands.DeviceMessage(topic, event))
        self.sent.append((topic, event))

    @rule(location=st.sampled_from(LOCATIONS), qty=st.integers(1, 6))
    def receive(self, location: str, qty: int) -> None:
        self._step()
        self.hub.handle(commands.ReceiveStock(self.sku, location, qty, ref="delivery"))
        self.on_hand[location] += qty
        self._did("receive")

    @rule(location=st.sampled_from(LOCATIONS), qty=st.integers(1, 3))
    def return_(self, location: str, qty: int) -> None:
        self._step()
        self.hub.handle(commands.ReceiveStock(self.sku, location, qty, ref="return"))
        self.on_hand[location] += qty
        self._did("return")

    @rule(qty=st.integers(1, 8))
    def reserve(self, qty: int) -> None:
        self._step()
        available = sum(self.on_hand[x] - self.reserved[x] for x in LOCATIONS)
        order_id, _ = self.hub.handle(commands.CreateOrder(
            "faults", f"SM-{uuid.uuid4().hex[:8]}", [commands.NewLine(self.sku, qty)],
            {"name": "Model"}))
        try:
            self.hub.handle(commands.ReleaseOrder(order_id))
        except errors.OutOfStock:
            StockMachine.refused += 1
            assert available < qty, "refused although the model has the stock"
            return
        assert available >= qty, "reserved more than the model has"
        self._did("reserve")
        with self.hub.uow(read_only=True) as uow:
            for task in uow.repo.tasks_for_order(order_id):
                for pick in task.picks:
                    self.reserved[pick.location] += pick.qty
                    self.picks.append(OpenPick(task.id, pick.id, order_id, pick.location,
                                               pick.qty))

    @rule(data=st.data())
    def pick(self, data: st.DataObject) -> None:
        self._step()
        open_picks = [p for p in self.picks if p.left]
        if not open_picks:
            return
        p = data.draw(st.sampled_from(open_picks))
        qty = data.draw(st.integers(1, p.left))
        self._send(wire.PickConfirmed(
            device_id="zone-a", boot_id="sm", seq=StockMachine.steps, task_id=p.task_id,
            pick_id=p.pick_id, order_id=p.order_id, sku=self.sku, location=p.location,
            qty=qty, method="scan"))
        p.left -= qty
        self.on_hand[p.location] -= qty
        self.reserved[p.location] -= qty
        self._did("pick")

    @rule(data=st.data())
    def short(self, data: st.DataObject) -> None:
        self._step()
        open_picks = [p for p in self.picks if p.left]
        if not open_picks:
            return
        p = data.draw(st.sampled_from(open_picks))
        picked = data.draw(st.integers(0, p.left - 1))
        self._send(wire.PickShort(
            device_id="zone-a", boot_id="sm", seq=StockMachine.steps, task_id=p.task_id,
            pick_id=p.pick_id, order_id=p.order_id, sku=self.sku, location=p.location,
            qty_picked=picked, qty_short=p.left - picked))
        self.on_hand[p.location] -= picked
        self.reserved[p.location] -= p.left
        p.left = 0
        self._did("short")

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        """A device sends an applied event again (same msg_id): no second effect."""
        self._step()
        if not self.sent:
            return
        topic, event = data.draw(st.sampled_from(self.sent))
        self.hub.handle(commands.DeviceMessage(topic, event.model_copy(update={"replay": True})))
        self._did("replay")

    @rule(location=st.sampled_from(LOCATIONS), delta=st.integers(-6, 6).filter(bool))
    def adjust(self, location: str, delta: int) -> None:
        self._step()
        allowed = self.on_hand[location] + delta >= self.reserved[location]
        try:
            self.hub.handle(commands.AdjustStock(self.sku, location, delta, "cycle count"))
        except errors.Conflict:
            StockMachine.refused += 1
            assert not allowed, "an allowed adjustment was refused"
            return
        assert allowed, "an adjustment below the reserved stock went through"
        self.on_hand[location] += delta
        self._did("adjust")

    @invariant()
    def stock_is_consistent(self) -> None:
        found = assert_consistent(self.hub, self.sku)
        assert {p.location: (p.on_hand, p.reserved) for p in found} == {
            x: (self.on_hand[x], self.reserved[x]) for x in LOCATIONS}


@pytest.fixture(params=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest) -> Iterator[Hub]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    instance = bootstrap(Settings(database_url=url, site=SITE))
    for n, location in enumerate(LOCATIONS):
        instance.handle(commands.AddLocation(location, "A", n))
    yield instance
    instance.stop()
    instance.engine.dispose()


def test_stock_state_machine_keeps_the_ledger(hub: Hub) -> None:
    StockMachine.hub = hub
    StockMachine.steps = StockMachine.refused = 0
    StockMachine.done = {}
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    report(f"stock state machine ({hub.engine.dialect.name})", examples=EXAMPLES,
           steps=StockMachine.steps, refused_as_the_model_predicted=StockMachine.refused,
           **StockMachine.done)
    assert set(StockMachine.done) == {"receive", "return", "reserve", "pick", "short",
                                      "replay", "adjust"}, "a rule never took effect"
