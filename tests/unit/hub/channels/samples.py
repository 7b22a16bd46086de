"""The published channel samples (../shared/samples/channels), read as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.adapters.channels.base import load_json

SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "samples" / "channels"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/samples/channels")


def raw(name: str) -> bytes:
    return (SAMPLES / f"channel_{name}.json").read_bytes()


def sample(name: str) -> Any:
    return load_json(raw(name))
