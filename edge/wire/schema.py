"""JSON Schema of every wire message, as documented in mqtt_topics.md."""

from __future__ import annotations

from typing import Any

from edge.wire.messages import COMMAND_TYPES, EVENT_TYPES, STATE_TYPES, Envelope


def all_models() -> dict[str, type[Envelope]]:
    models: dict[str, type[Envelope]] = {}
    for group in (STATE_TYPES, EVENT_TYPES, COMMAND_TYPES):
        models.update(group)
    return models


def schema_for(name: str) -> dict[str, Any]:
    return all_models()[name].model_json_schema()


def field_summary(name: str) -> list[tuple[str, str, bool]]:
    """(field, JSON type, required) rows for the documentation table."""
    schema = schema_for(name)
    required = set(schema.get("required", []))
    rows = []
    for field, spec in schema["properties"].items():
        rows.append((field, _type_of(spec), field in required))
    return rows


def _type_of(spec: dict[str, Any]) -> str:
    if "const" in spec:
        return f"const {spec['const']!r}"
    if "enum" in spec:
        return " | ".join(repr(v) for v in spec["enum"])
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in spec:
        return " | ".join(_type_of(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return f"array of {_type_of(spec.get('items', {}))}"
    if spec.get("type") == "object":
        return "object"
    fmt = spec.get("format")
    return f"{spec.get('type', 'any')}{f' ({fmt})' if fmt else ''}"
