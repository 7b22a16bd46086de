"""mqtt_topics.md is the human spec of edge/wire; it must say exactly what the code does."""

from __future__ import annotations

from pathlib import Path

from edge.wire import topics
from edge.wire.docgen import render
from edge.wire.schema import all_models

DOC = Path(__file__).resolve().parents[3] / "mqtt_topics.md"


def test_doc_matches_the_code() -> None:
    assert DOC.read_text() == render(), (
        "mqtt_topics.md is out of date: run python -m edge.wire.docgen > mqtt_topics.md")


def test_doc_lists_every_topic_and_model() -> None:
    text = DOC.read_text()
    for spec in topics.SPECS:
        assert f"`{spec.pattern}`" in text
    for name in all_models():
        assert f"### `{name}`" in text
