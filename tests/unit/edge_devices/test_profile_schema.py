"""The exported firmware-profile schema documents every key; the README says what it says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, Field, TypeAdapter
from typer.testing import CliRunner

from edge.cli import app
from edge.config import DEFAULT_PROFILES_DIR
from edge.errors import ConfigError
from edge.profile_doc import keys, render
from edge.profiles import PROFILE_TYPES, parse_profile, profile_schema

README = DEFAULT_PROFILES_DIR / "README.md"
MINIMAL: dict[str, dict[str, Any]] = {
    "scanner": {"kind": "scanner", "vendor": "v", "model": "m"},
    "scale": {"kind": "scale", "vendor": "v", "model": "m", "dialect": "mt_sics"},
    "lights": {"kind": "lights", "vendor": "v", "model": "m", "colour_mode": "rgb"},
    "printer": {"kind": "printer", "vendor": "v", "model": "m", "language": "escpos"},
}


def undocumented(schema: dict[str, Any]) -> Iterator[str]:
    """Every key of every model in ``schema`` lacking a description or an example."""
    models = {"(root)": schema, **schema.get("$defs", {})}
    for model, body in models.items():
        for key, prop in body.get("properties", {}).items():
            if not prop.get("description"):
                yield f"{model}.{key}: no description"
            if not prop.get("examples"):
                yield f"{model}.{key}: no example"


def test_the_walk_finds_a_key_without_example() -> None:
    class Inner(BaseModel):
        depth: int = Field(description="d")

    class Probe(BaseModel):
        kind: Literal["x"] = Field(description="k", examples=["x"])
        inner: Inner = Field(description="i", examples=[{"depth": 1}])
        bare: int = 0

    found = set(undocumented(TypeAdapter(Probe).json_schema()))
    assert found == {"(root).bare: no description", "(root).bare: no example",
                     "Inner.depth: no example"}


@pytest.mark.parametrize("kind", [None, *PROFILE_TYPES])
def test_every_key_of_every_kind_has_description_and_example(kind: Any) -> None:
    schema = profile_schema(kind)
    assert list(undocumented(schema)) == []
    assert schema.get("$defs") or schema.get("properties")


def _with(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    *parents, last = dotted.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return data


@pytest.mark.parametrize("kind", list(PROFILE_TYPES))
def test_every_example_is_a_valid_value(kind: str) -> None:
    schema = profile_schema(kind)  # type: ignore[arg-type]
    checked = 0
    for key, prop, _ in keys(schema, schema.get("$defs", {})):
        for example in prop["examples"]:
            data = _with(MINIMAL[kind], key, example)
            profile = parse_profile(data, f"example of {key}")
            assert profile.kind == kind
            checked += 1
    assert checked >= len(schema["properties"])


def test_shipped_profiles_validate_against_the_exported_schema() -> None:
    schema = profile_schema()
    files = sorted(DEFAULT_PROFILES_DIR.glob("*.yaml"))
    assert len(files) >= 13
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"kind": "scale", "vendor": "v", "model": "m",
                             "dialect": "mt_sics", "serial": {"baud": "fast"}}, schema)


def test_readme_matches_the_code() -> None:
    assert README.read_text() == render(), (
        "firmware_profiles/README.md is out of date: "
        "run fulfil-edge profiles docs > firmware_profiles/README.md")


def test_readme_documents_every_key() -> None:
    text = README.read_text()
    for kind in PROFILE_TYPES:
        schema = profile_schema(kind)  # type: ignore[arg-type]
        assert f"## `kind: {kind}`" in text
        for key, _, _ in keys(schema, schema.get("$defs", {})):
            assert f"| `{key}` |" in text


runner = CliRunner()


def test_cli_prints_the_schema() -> None:
    result = runner.invoke(app, ["profiles", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(json.dumps(profile_schema()))
    result = runner.invoke(app, ["profiles", "schema", "--kind", "printer"])
    assert json.loads(result.output)["title"] == "PrinterProfile"
    result = runner.invoke(app, ["profiles", "schema", "--kind", "toaster"])
    assert result.exit_code == 2 and "--kind" in result.output
    assert "Traceback" not in result.output


def test_cli_check_names_file_key_and_reason(tmp_path: Path) -> None:
    good = DEFAULT_PROFILES_DIR / "zebra-ds2208.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: scanner\nvendor: x\nmodel: y\nterminator: SPACE\n")
    result = runner.invoke(app, ["profiles", "check", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"{good}: ok (scanner, Zebra DS2208)" in result.output
    assert f"{bad}: terminator: " in result.output
    with pytest.raises(ConfigError, match="terminator"):
        parse_profile(yaml.safe_load(bad.read_text()), str(bad))
