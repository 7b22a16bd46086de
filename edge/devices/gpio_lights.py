"""Put-to-light bar on Raspberry Pi GPIO (gpiozero).

Options (agent config ``devices.lights.options``):
  slots   {location: {red, green, blue, confirm, short}} for RGB bars,
          {location: {led, confirm, short}} for mono bars (pins as BCM numbers or names)
  zone    optional zone indicator: {red, green, blue} or {led}
  any LightsProfile field (active_high, blink_on_s ...) overrides the profile.

Colours are names (green, red, blue, yellow, cyan, magenta, white, orange) or ``#rrggbb``.
A mono bar lights its LED for any colour. Quantities are kept (``displayed``) for bars with
a display; the GPIO bar itself has none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from edge.core.readings import ButtonKind, ButtonPress
from edge.devices.base import Lights, PeripheralState
from edge.errors import ConfigError
from edge.profiles import LightsProfile

log = structlog.get_logger(__name__)

COLOURS: dict[str, tuple[float, float, float]] = {
    "green": (0.0, 1.0, 0.0), "red": (1.0, 0.0, 0.0), "blue": (0.0, 0.0, 1.0),
    "yellow": (1.0, 1.0, 0.0), "cyan": (0.0, 1.0, 1.0), "magenta": (1.0, 0.0, 1.0),
    "white": (1.0, 1.0, 1.0), "orange": (1.0, 0.5, 0.0),
}
OFF = (0.0, 0.0, 0.0)


def parse_colour(colour: str) -> tuple[float, float, float]:
    name = colour.strip().lower()
    if name in COLOURS:
        return COLOURS[name]
    if len(name) == 7 and name.startswith("#"):
        try:
            r, g, b = (int(name[i:i + 2], 16) / 255 for i in (1, 3, 5))
        except ValueError:
            pass
        else:
            return (r, g, b)
    raise ValueError(f"unknown colour {colour!r}")


def colour_name(rgb: tuple[float, float, float]) -> str:
    """Name of an RGB value (``#rrggbb`` when it has none)."""
    for name, value in COLOURS.items():
        if all(abs(a - b) < 0.01 for a, b in zip(value, rgb, strict=True)):
            return name
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


@dataclass(frozen=True)
class SlotPins:
    red: Any = None
    green: Any = None
    blue: Any = None
    led: Any = None
    confirm: Any = None
    short: Any = None

    @classmethod
    def from_options(cls, slot: str, pins: Any) -> SlotPins:
        if not isinstance(pins, Mapping):
            raise ConfigError(f"lights options: slots.{slot}: expected a mapping of pins")
        unknown = set(pins) - {"red", "green", "blue", "led", "confirm", "short"}
        if unknown:
            raise ConfigError(f"lights options: slots.{slot}.{sorted(unknown)[0]}: unknown pin")
        return cls(**dict(pins))


@dataclass
class _Slot:
    led: Any
    buttons: dict[ButtonKind, Any]
    shown: tuple[str, int | None, bool] | None = None


class GpioLights(Lights):
    def __init__(self, name: str, slots: Mapping[str, SlotPins], profile: LightsProfile,
                 zone: SlotPins | None = None, pin_factory: Any = None,
                 pin_factories: Mapping[str, Any] | None = None) -> None:
        """``pin_factory`` (or one per slot in ``pin_factories``) is gpiozero's; None = the
        default factory of the host."""
        super().__init__(name)
        if not slots:
            raise ConfigError("lights options: slots: a light bar needs at least one slot")
        self.profile = profile
        self._pins = dict(slots)
        self._zone_pins = zone
        self._factory = pin_factory
        self._factories = dict(pin_factories or {})
        self._slots: dict[str, _Slot] = {}
        self.zone_led: Any = None
        self._callbacks: list[Callable[[ButtonPress], None]] = []
        self._lock = threading.RLock()
        self._state: PeripheralState = "offline"
        self._detail: str | None = "not opened"
        self._check_pins()

    def _check_pins(self) -> None:
        rgb = self.profile.colour_mode == "rgb"
        for slot, pins in self._pins.items():
            leds: tuple[str, ...] = ("red", "green", "blue") if rgb else ("led",)
            needed = leds + tuple(self.profile.buttons)
            missing = [p for p in needed if getattr(pins, p) is None]
            if missing:
                raise ConfigError(f"lights options: slots.{slot}.{missing[0]}: pin missing")

    @property
    def slots(self) -> list[str]:
        return list(self._pins)

    def open(self) -> None:
        from gpiozero import LED, RGBLED, Button

        with self._lock:
            if self._slots:
                return
            p = self.profile
            bounce = p.bounce_ms / 1000 if p.bounce_ms else None
            for slot, pins in self._pins.items():
                factory = self._factories.get(slot, self._factory)
                if p.colour_mode == "rgb":
                    led = RGBLED(pins.red, pins.green, pins.blue, active_high=p.active_high,
                                 pwm=p.pwm, pin_factory=factory)
                else:
                    led = LED(pins.led, active_high=p.active_high, pin_factory=factory)
                buttons: dict[ButtonKind, Any] = {}
                for kind in p.buttons:
                    button = Button(getattr(pins, kind), pull_up=p.button_pull_up,
                                    bounce_time=bounce, pin_factory=factory)
                    button.when_pressed = self._press_handler(slot, kind)
                    buttons[kind] = button
                self._slots[slot] = _Slot(led=led, buttons=buttons)
            if self._zone_pins is not None:
                z = self._zone_pins
                self.zone_led = (LED(z.led, pin_factory=self._factory) if z.led is not None
                                 else RGBLED(z.red, z.green, z.blue, pwm=p.pwm,
                                             pin_factory=self._factory))
            self._state, self._detail = "ok", None
        log.info("lights_open", lights=self.name, slots=len(self._slots))

    def close(self) -> None:
        with self._lock:
            for s in self._slots.values():
                for button in s.buttons.values():
                    button.close()
                s.led.close()
            if self.zone_led is not None:
                self.zone_led.close()
                self.zone_led = None
            self._slots.clear()
            self._state, self._detail = "offline", "closed"

    def state(self) -> tuple[PeripheralState, str | None]:
        return self._state, self._detail

    def on_button(self, callback: Callable[[ButtonPress], None]) -> None:
        self._callbacks.append(callback)

    def _press_handler(self, slot: str, kind: ButtonKind) -> Callable[[], None]:
        def handler() -> None:
            press = ButtonPress(slot=slot, kind=kind)
            log.debug("lights_button", lights=self.name, slot=slot, kind=kind)
            for callback in list(self._callbacks):
                try:
                    callback(press)
                except Exception:
                    log.exception("lights_callback_failed", lights=self.name)
        return handler

    def _slot(self, slot: str) -> _Slot:
        try:
            return self._slots[slot]
        except KeyError:
            if slot in self._pins:
                raise RuntimeError(f"light bar {self.name} is not open") from None
            raise KeyError(f"no light slot {slot!r} on {self.name}") from None

    def show(self, slot: str, colour: str, qty: int | None = None, blink: bool = False) -> None:
        rgb = parse_colour(colour)
        with self._lock:
            s = self._slot(slot)
            wanted = (colour_name(rgb), qty, blink)
            if s.shown == wanted:
                return  # idempotent: do not restart a blink
            self._drive(s.led, rgb, blink)
            s.shown = wanted

    def _drive(self, led: Any, rgb: tuple[float, float, float], blink: bool) -> None:
        p = self.profile
        mono = not hasattr(led, "red")
        if blink:
            if mono:
                led.blink(on_time=p.blink_on_s, off_time=p.blink_off_s)
            else:
                led.blink(on_time=p.blink_on_s, off_time=p.blink_off_s, on_color=rgb)
        elif mono:
            led.on()
        else:
            led.color = rgb

    def clear(self, slot: str) -> None:
        with self._lock:
            s = self._slot(slot)
            s.led.off()
            s.shown = None

    def clear_all(self) -> None:
        with self._lock:
            for slot in self._slots:
                self.clear(slot)

    def displayed(self, slot: str) -> tuple[str, int | None, bool] | None:
        """What the slot shows: (colour, qty, blink), None when dark."""
        with self._lock:
            return self._slot(slot).shown

    def indicate_zone(self, colour: str | None) -> None:
        """Zone / completion light: a colour, or None for off. No-op when not fitted."""
        if self.zone_led is None:
            return
        if colour is None:
            self.zone_led.off()
        elif hasattr(self.zone_led, "red"):
            self.zone_led.color = parse_colour(colour)
        else:
            self.zone_led.on()

    def pins_of(self, slot: str) -> tuple[SlotPins, Any]:
        """A slot's pins and their gpiozero pin factory (for the simulator's eyes and hands)."""
        if slot not in self._pins:
            raise KeyError(f"no light slot {slot!r} on {self.name}")
        return self._pins[slot], self._factories.get(slot, self._factory)
