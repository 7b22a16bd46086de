"""Render firmware_profiles/README.md from the profile schema, so the two cannot drift apart.

``python -m edge.profile_doc > firmware_profiles/README.md`` rewrites it (as does
``fulfil-edge profiles docs``); a test fails when they differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from edge.profiles import PROFILE_TYPES, DeviceKind, profile_schema

HEADER = """# Firmware profiles

One YAML file per device model. The agent config names a profile per device
(`devices.<kind>.profile`, the file name without `.yaml`); the profile says how the model
behaves, the config's `options` say where this unit is (port, path, pins, host) and may
override any key below. A profile is validated when the agent starts: a bad one is refused
with the file, the key and the reason.

This file is generated from `edge/profiles.py` (`fulfil-edge profiles docs >
firmware_profiles/README.md`); `tests/unit/edge_devices/test_profile_schema.py` fails when
the two disagree. The JSON Schema itself: `fulfil-edge profiles schema [--kind KIND]`.
"""


def _type(prop: dict[str, Any]) -> str:
    """A short human type for one JSON Schema property."""
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " \\| ".join(json.dumps(v) for v in prop["enum"])
    if "$ref" in prop:
        return "mapping"
    if "anyOf" in prop:
        return " \\| ".join(_type(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}"
    return str(prop.get("type", "any"))


def _text(text: str) -> str:
    return text.replace("<", "&lt;").replace("|", "\\|")


def _cell(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=True).replace("|", "\\|") + "`"


def keys(schema: dict[str, Any], defs: dict[str, Any],
         prefix: str = "") -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(dotted key, property, required) for every key, nested mappings included."""
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        yield prefix + name, prop, name in required
        if "$ref" in prop:
            nested = defs[prop["$ref"].rsplit("/", 1)[-1]]
            yield from keys(nested, defs, prefix + name + ".")


def _kind_section(kind: DeviceKind) -> list[str]:
    schema = profile_schema(kind)
    defs = schema.get("$defs", {})
    lines = [f"## `kind: {kind}`", "", PROFILE_TYPES[kind].__doc__ or "", "",
             "| key | type | default | description | example |", "|---|---|---|---|---|"]
    rows = sorted(keys(schema, defs), key=lambda row: row[0] != "kind")  # kind first
    for key, prop, required in rows:
        default = "(required)" if required else _cell(prop.get("default"))
        if "$ref" in prop and not required:
            default = "per key, below"
        examples = ", ".join(_cell(e) for e in prop.get("examples", []))
        lines.append(f"| `{key}` | {_type(prop)} | {default} | "
                     f"{_text(prop.get('description', ''))} | {examples} |")
    return [*lines, ""]


def render() -> str:
    out = [HEADER]
    for kind in PROFILE_TYPES:
        out.extend(_kind_section(kind))  # type: ignore[arg-type]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render(), end="")
