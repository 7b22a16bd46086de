"""Reading YAML files the agent is configured with, and naming the first bad key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from edge.errors import ConfigError


def read_yaml(path: Path) -> Any:
    """The parsed document; ConfigError naming the file when it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(dotted key, reason) of the first validation error."""
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]) or "(top level)", first["msg"]
