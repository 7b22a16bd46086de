"""Profiles pushed by the hub (``apply_profile``): validated, swapped in, stored atomically.

A pushed profile is kept in the outbox's key-value table (``profile:<kind>``) in the same
transaction as the command's ack, and only after the new driver opened; if anything fails
first, the old driver stays and the command is rejected with the reason. At start the
stored profiles replace the config's profile files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import structlog

from edge.config import AgentConfig
from edge.core import effects as fx
from edge.errors import ConfigError
from edge.outbox import Outbox
from edge.profiles import DeviceKind, DeviceProfile, parse_profile
from edge.wire.messages import ApplyProfile

if TYPE_CHECKING:
    from edge.devices.base import Peripheral

log = structlog.get_logger(__name__)

KEY = "profile:{kind}"
KINDS: tuple[DeviceKind, ...] = ("scanner", "scale", "lights", "printer")


@dataclass(frozen=True)
class Pushed:
    name: str
    version: str
    profile: DeviceProfile

    def record(self) -> str:
        return json.dumps({"name": self.name, "version": self.version,
                           "content": self.profile.model_dump(mode="json")})


def load_pushed(outbox: Outbox) -> dict[DeviceKind, Pushed]:
    """Stored pushed profiles; a record that no longer validates is skipped (logged)."""
    out: dict[DeviceKind, Pushed] = {}
    for kind in KINDS:
        raw = outbox.get(KEY.format(kind=kind))
        if not raw:
            continue
        data = json.loads(raw)
        try:
            profile = parse_profile(data["content"], f"pushed profile {data['name']}", kind)
        except ConfigError as exc:
            log.error("pushed_profile_invalid", kind=kind, error=str(exc))
            continue
        out[kind] = Pushed(data["name"], data["version"], profile)
    return out


def running_profiles(config: AgentConfig, pushed: dict[DeviceKind, Pushed]) -> dict[str, str]:
    """kind -> 'name@version' ('@local' for the config's own profile file)."""
    out = {kind: f"{dev.profile}@local" for kind, dev in config.devices.items()}
    out.update({kind: f"{p.name}@{p.version}" for kind, p in pushed.items()})
    return out


class ProfileSwitcher:
    """Applies ``ApplyProfile`` commands to an agent's peripherals (agent worker thread)."""

    def __init__(self, config: AgentConfig, peripherals: Any, outbox: Outbox,
                 rewire: Any) -> None:
        self.config = config
        self.peripherals = peripherals
        self.pushed = load_pushed(outbox)
        self._rewire = rewire  # callable(peripheral) that attaches the agent's callbacks

    def running(self) -> dict[str, str]:
        return running_profiles(self.config, self.pushed)

    def apply(self, command: ApplyProfile) -> tuple[list[fx.Effect], dict[str, str]]:
        """Effects (the ack) and the state to store with them (empty when rejected)."""
        kind = cast(DeviceKind, command.peripheral)

        def reject(reason: str) -> tuple[list[fx.Effect], dict[str, str]]:
            log.warning("profile_rejected", kind=kind, profile=command.profile, reason=reason)
            return [fx.AckCommand(command.command_id, "rejected", reason)], {}

        current = self.pushed.get(kind)
        if current and (current.name, current.version) == (command.profile, command.version):
            return [fx.AckCommand(command.command_id, "done", "already running")], {}
        if kind not in self.config.devices:
            return reject(f"no {kind} configured on this device")
        sim = getattr(self.peripherals, "sim", None)
        old_sim = getattr(sim, kind, None)
        try:
            profile = parse_profile(command.content, f"profile {command.profile}", kind)
            new = self._build(kind, profile, sim)
        except (ConfigError, ValueError) as exc:
            return reject(str(exc))
        new_sim = getattr(sim, kind, None)
        old: Peripheral | None = getattr(self.peripherals, kind)
        if old is not None:
            old.close()
        try:
            self._rewire(new)
            new.open()
        except Exception as exc:  # the new driver cannot run: put the old one back
            new.close()
            _close_sim(new_sim, old_sim)
            if sim is not None:
                setattr(sim, kind, old_sim)
            if old is not None:
                old.open()
            return reject(f"cannot open {kind} with profile {command.profile}: {exc}")
        setattr(self.peripherals, kind, new)
        _close_sim(old_sim, new_sim)
        pushed = Pushed(command.profile, command.version, profile)
        self.pushed[kind] = pushed
        log.info("profile_applied", kind=kind, profile=command.profile,
                 version=command.version)
        return ([fx.AckCommand(command.command_id, "done")],
                {KEY.format(kind=kind): pushed.record()})

    def _build(self, kind: DeviceKind, profile: DeviceProfile, sim: Any) -> Peripheral:
        from edge.devices.factory import SimControls, build_peripheral

        return build_peripheral(self.config, kind, sim if sim is not None else SimControls(),
                                profile)


def _close_sim(sim: Any, keep: Any) -> None:
    """Close a simulator that is no longer used (lights are drivers: nothing to close)."""
    if sim is not None and sim is not keep and hasattr(sim, "close"):
        from edge.devices.base import Peripheral

        if not isinstance(sim, Peripheral):
            sim.close()
