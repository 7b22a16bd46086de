"""The real GpioLights on gpiozero's MockFactory with PWM pins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.edge_devices.waiting import wait_for

pytest.importorskip("gpiozero")

from edge.config import DEFAULT_PROFILES_DIR
from edge.core.readings import ButtonPress
from edge.devices.gpio_lights import GpioLights, SlotPins, parse_colour
from edge.errors import ConfigError
from edge.profiles import LightsProfile, load_profile
from edge.sim.gpio_mock import allocate_pins, lit_slots, mock_factory, press, simulated_lights


def profile(name: str = "ptl-rgb-buttons", **update: object) -> LightsProfile:
    p = load_profile(DEFAULT_PROFILES_DIR, name, "lights")
    assert isinstance(p, LightsProfile)
    return p.model_copy(update=update)


@pytest.fixture
def bar() -> Iterator[GpioLights]:
    pins = {"A01-01-A": SlotPins(red=2, green=3, blue=4, confirm=5, short=6),
            "A01-02-A": SlotPins(red=7, green=8, blue=9, confirm=10, short=11)}
    factory = mock_factory()
    lights = GpioLights("zone-a", pins, profile(), pin_factory=factory)
    lights.open()
    yield lights
    lights.close()


def test_show_reads_back_from_the_pins(bar: GpioLights) -> None:
    assert lit_slots(bar) == {}
    bar.show("A01-01-A", "green", qty=2)
    bar.show("A01-02-A", "#102030")
    assert lit_slots(bar) == {"A01-01-A": "green", "A01-02-A": "#102030"}
    _, factory = bar.pins_of("A01-01-A")
    assert factory.pin(3).state == 1 and factory.pin(2).state == 0
    assert bar.displayed("A01-01-A") == ("green", 2, False)
    bar.clear("A01-01-A")
    assert lit_slots(bar) == {"A01-02-A": "#102030"}
    bar.clear_all()
    assert lit_slots(bar) == {}


@pytest.mark.parametrize("colour", ["green", "red", "blue", "yellow", "cyan", "magenta",
                                    "white", "orange"])
def test_named_colours(bar: GpioLights, colour: str) -> None:
    bar.show("A01-02-A", colour)
    assert lit_slots(bar) == {"A01-02-A": colour}


def test_show_is_idempotent_and_blink_runs_on_the_pins(bar: GpioLights) -> None:
    bar.show("A01-01-A", "blue", blink=True)
    _, factory = bar.pins_of("A01-01-A")
    blue = factory.pin(4)
    assert wait_for(lambda: len(blue.states) >= 4, timeout=3)  # on, off, on ...
    bar.show("A01-01-A", "blue", blink=True)  # same command again: no restart
    assert lit_slots(bar, window_s=0.8) == {"A01-01-A": "blue"}
    bar.show("A01-01-A", "blue")  # steady now
    assert lit_slots(bar) == {"A01-01-A": "blue"}


def test_buttons_fire_callbacks(bar: GpioLights) -> None:
    presses: list[ButtonPress] = []
    bar.on_button(presses.append)
    press(bar, "A01-02-A", "confirm")
    press(bar, "A01-01-A", "short")
    assert presses == [ButtonPress("A01-02-A", "confirm"), ButtonPress("A01-01-A", "short")]


def test_mono_bar() -> None:
    lights = GpioLights("mono", {"B01": SlotPins(led=17, confirm=27)}, profile("ptl-mono"),
                        pin_factory=mock_factory())
    presses: list[ButtonPress] = []
    lights.on_button(presses.append)
    lights.open()
    try:
        lights.show("B01", "red", qty=3)
        assert lit_slots(lights) == {"B01": "on"}
        press(lights, "B01", "confirm")
        assert presses == [ButtonPress("B01", "confirm")]
        with pytest.raises(KeyError):
            press(lights, "B01", "short")
    finally:
        lights.close()


def test_active_low_wiring() -> None:
    lights = GpioLights("low", {"C01": SlotPins(red=2, green=3, blue=4, confirm=5, short=6)},
                        profile(active_high=False), pin_factory=mock_factory())
    lights.open()
    try:
        assert lit_slots(lights) == {}
        lights.show("C01", "red")
        _, factory = lights.pins_of("C01")
        assert factory.pin(2).state == 0  # the pin sinks the LED current
        assert lit_slots(lights) == {"C01": "red"}
    finally:
        lights.close()


def test_many_slots_spread_over_mock_boards() -> None:
    slots = [f"A{i:02d}" for i in range(12)]
    _, factories = allocate_pins(slots, profile())
    assert len({id(f) for f in factories.values()}) == 3  # 5 slots of 5 pins per board
    lights = simulated_lights("big", slots, profile())
    presses: list[ButtonPress] = []
    lights.on_button(presses.append)
    lights.open()
    try:
        for slot in slots:
            lights.show(slot, "cyan")
        assert lit_slots(lights) == dict.fromkeys(slots, "cyan")
        press(lights, "A11", "confirm")
        assert presses == [ButtonPress("A11", "confirm")]
    finally:
        lights.close()


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        parse_colour("mauve")
    with pytest.raises(ValueError):
        parse_colour("#12345g")
    with pytest.raises(ConfigError, match=r"slots\.X\.blue: pin missing"):
        GpioLights("bad", {"X": SlotPins(red=2, green=3, confirm=5, short=6)}, profile())
    lights = GpioLights("closed", {"X": SlotPins(red=2, green=3, blue=4, confirm=5, short=6)},
                        profile(), pin_factory=mock_factory())
    with pytest.raises(RuntimeError):
        lights.show("X", "red")
    lights.open()
    try:
        with pytest.raises(KeyError):
            lights.show("Y", "red")
    finally:
        lights.close()
