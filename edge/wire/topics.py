"""MQTT topic names shared by the hub and the edge agents.

Every topic lives under ``fulfil/<site>/<device_id>/``. The hub subscribes with the ``+``
wildcard in the device position; a device subscribes only to its own command, ack and error
topics. Hub replicas may subscribe to events through ``$share/hub/...`` (see
:func:`shared`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "fulfil"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Direction(StrEnum):
    EDGE_TO_HUB = "edge -> hub"
    HUB_TO_EDGE = "hub -> edge"


@dataclass(frozen=True)
class TopicSpec:
    """One row of the topic table in mqtt_topics.md."""

    name: str
    pattern: str
    direction: Direction
    qos: int
    retained: bool
    payload: str
    purpose: str


def check_name(value: str, what: str = "name") -> str:
    """Refuse topic segments that would break routing (wildcards, slashes, empties)."""
    if not _NAME.match(value):
        raise ValueError(f"{what} {value!r} must be 1-64 characters of A-Z a-z 0-9 _ . -")
    return value


def status(site: str, device_id: str) -> str:
    return f"{ROOT}/{site}/{device_id}/status"


def peripheral_status(site: str, device_id: str, peripheral: str) -> str:
    return f"{ROOT}/{site}/{device_id}/peripheral/{peripheral}/status"


def health(site: str, device_id: str) -> str:
    return f"{ROOT}/{site}/{device_id}/health"


def event(site: str, device_id: str, event_type: str) -> str:
    return f"{ROOT}/{site}/{device_id}/evt/{event_type}"


def command(site: str, device_id: str, command_type: str) -> str:
    return f"{ROOT}/{site}/{device_id}/cmd/{command_type}"


def ack(site: str, device_id: str) -> str:
    return f"{ROOT}/{site}/{device_id}/ack"


def error(site: str, device_id: str) -> str:
    return f"{ROOT}/{site}/{device_id}/error"


def hub_subscriptions(site: str, share_group: str | None = None) -> list[str]:
    """Topic filters the hub subscribes to. With ``share_group``, hub replicas split the
    events and health reports between them (each message goes to one replica); device and
    peripheral status stay unshared, since they are retained (the broker does not hand
    retained messages to shared subscriptions) and every replica may apply them."""
    base = f"{ROOT}/{site}/+"
    split = [f"{base}/health", f"{base}/evt/+"]
    if share_group is not None:
        split = [shared(t, share_group) for t in split]
    return [f"{base}/status", f"{base}/peripheral/+/status", *split]


def device_subscriptions(site: str, device_id: str) -> list[str]:
    """Topic filters one device subscribes to: only its own."""
    base = f"{ROOT}/{site}/{device_id}"
    return [f"{base}/cmd/+", f"{base}/ack", f"{base}/error"]


def shared(topic_filter: str, group: str = "hub") -> str:
    """A shared subscription (MQTT 5; Mosquitto also grants it to 3.1.1 clients) so several
    hub replicas split the device events."""
    return f"$share/{check_name(group, 'share group')}/{topic_filter}"


@dataclass(frozen=True)
class ParsedTopic:
    site: str
    device_id: str
    kind: str  # status | peripheral_status | health | evt | cmd | ack | error
    name: str | None = None  # event/command type or peripheral name


def parse(topic: str) -> ParsedTopic:
    """Split a topic into its parts; ValueError for anything outside the scheme."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != ROOT:
        raise ValueError(f"topic {topic!r} is not under {ROOT}/<site>/<device>/")
    site, device_id, rest = parts[1], parts[2], parts[3:]
    if rest == ["status"]:
        return ParsedTopic(site, device_id, "status")
    if rest == ["health"]:
        return ParsedTopic(site, device_id, "health")
    if rest == ["ack"]:
        return ParsedTopic(site, device_id, "ack")
    if rest == ["error"]:
        return ParsedTopic(site, device_id, "error")
    if len(rest) == 2 and rest[0] in ("evt", "cmd"):
        return ParsedTopic(site, device_id, rest[0], rest[1])
    if len(rest) == 3 and rest[0] == "peripheral" and rest[2] == "status":
        return ParsedTopic(site, device_id, "peripheral_status", rest[1])
    raise ValueError(f"topic {topic!r} is not a known Fulfil topic")


SPECS: list[TopicSpec] = [
    TopicSpec("status", "fulfil/{site}/{device_id}/status", Direction.EDGE_TO_HUB, 1, True,
              "DeviceStatus",
              "Birth (state online) after every connect; the Last Will sets state offline."),
    TopicSpec("peripheral_status", "fulfil/{site}/{device_id}/peripheral/{peripheral}/status",
              Direction.EDGE_TO_HUB, 1, True, "PeripheralStatus",
              "State of one scanner, scale, light bar or printer."),
    TopicSpec("health", "fulfil/{site}/{device_id}/health", Direction.EDGE_TO_HUB, 0, False,
              "Health", "Periodic health: outbox depth, uptime, peripherals."),
    TopicSpec("evt", "fulfil/{site}/{device_id}/evt/{event_type}", Direction.EDGE_TO_HUB, 1,
              False, "one of the Event models (type = event_type)",
              "Things that happened at the device; kept in the device outbox until acked."),
    TopicSpec("cmd", "fulfil/{site}/{device_id}/cmd/{command_type}", Direction.HUB_TO_EDGE, 1,
              False, "one of the Command models (type = command_type)",
              "Work for the device; carries command_id and expires_at; idempotent."),
    TopicSpec("ack", "fulfil/{site}/{device_id}/ack", Direction.HUB_TO_EDGE, 1, False, "Ack",
              "Application-level acknowledgement: the hub stored these events."),
    TopicSpec("error", "fulfil/{site}/{device_id}/error", Direction.HUB_TO_EDGE, 1, False,
              "ErrorEvent", "The hub rejected a message from this device, with the reason."),
]
