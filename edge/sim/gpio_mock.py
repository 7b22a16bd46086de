"""Simulated GPIO for a light bar: gpiozero's MockFactory with PWM pins.

The real ``GpioLights`` runs on mock pins; the simulated picker looks at the pins
(``lit_slots``) and presses buttons by driving the pins (``press``), so gpiozero's own
callbacks fire.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from edge.core.readings import ButtonKind
from edge.devices.gpio_lights import OFF, GpioLights, SlotPins, colour_name
from edge.profiles import LightsProfile

FIRST_PIN, LAST_PIN = 2, 27  # BCM pins of the 40-pin header (0 and 1 are the ID EEPROM)


def mock_factory() -> Any:
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


def allocate_pins(slots: Iterable[str], profile: LightsProfile
                  ) -> tuple[dict[str, SlotPins], dict[str, Any]]:
    """Pins for each slot, packed onto as many mock factories (boards) as needed."""
    leds: tuple[str, ...] = ("red", "green", "blue") if profile.colour_mode == "rgb" else ("led",)
    names = leds + tuple(profile.buttons)
    per_board = (LAST_PIN - FIRST_PIN + 1) // len(names)
    pins: dict[str, SlotPins] = {}
    factories: dict[str, Any] = {}
    factory: Any = None
    for i, slot in enumerate(slots):
        index = i % per_board
        if index == 0:
            factory = mock_factory()
        base = FIRST_PIN + index * len(names)
        pins[slot] = SlotPins(**{n: base + k for k, n in enumerate(names)})
        factories[slot] = factory
    return pins, factories


def simulated_lights(name: str, slots: Iterable[str], profile: LightsProfile) -> GpioLights:
    pins, factories = allocate_pins(slots, profile)
    return GpioLights(name, pins, profile, pin_factories=factories)


def _level(factory: Any, pin: Any, active_high: bool) -> float:
    """Brightness seen on a pin, 0..1."""
    state = float(factory.pin(pin).state)
    return state if active_high else 1.0 - state


def _seen(lights: GpioLights, slot: str) -> str | None:
    pins, factory = lights.pins_of(slot)
    active_high = lights.profile.active_high
    if pins.led is None:
        r, g, b = (_level(factory, p, active_high) for p in (pins.red, pins.green, pins.blue))
        return None if (r, g, b) == OFF else colour_name((r, g, b))
    return "on" if _level(factory, pins.led, active_high) > 0 else None


def lit_slots(lights: GpioLights, window_s: float = 0.0) -> dict[str, str]:
    """Slot -> colour of every lit slot, read from the pins (``on`` for mono LEDs).

    With ``window_s`` > 0 the pins are watched that long, so a blinking slot is seen too.
    """
    deadline = time.monotonic() + window_s
    seen: dict[str, str] = {}
    while True:
        for slot in lights.slots:
            colour = _seen(lights, slot)
            if colour is not None:
                seen.setdefault(slot, colour)
        if time.monotonic() >= deadline:
            return seen
        time.sleep(0.02)


def press(lights: GpioLights, slot: str, kind: ButtonKind = "confirm") -> None:
    """Press and release a slot's button by driving its pin (gpiozero's callbacks fire)."""
    pins, factory = lights.pins_of(slot)
    number = getattr(pins, kind)
    if number is None:
        raise KeyError(f"slot {slot!r} has no {kind} button")
    pin = factory.pin(number)
    if lights.profile.button_pull_up:
        pin.drive_low()
        pin.drive_high()
    else:
        pin.drive_high()
        pin.drive_low()
