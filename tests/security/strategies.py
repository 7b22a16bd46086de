"""Hypothesis strategies for outside input: any JSON, and real samples with parts broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/samples")

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False) | st.text(max_size=40)
           | st.sampled_from(["", "0", "-1", "1e309", "NaN", "GB", "XX", "2024-02-30T25:00:00Z",
                              "12.345.6", "\x00", "🙂"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)


@st.composite
def mutated(draw: st.DrawFn, value: Any, rate: int = 12) -> Any:
    """``value`` with some nodes replaced by any JSON, dropped, or their type changed; most of
    it stays intact, so the parser gets past its first checks."""
    if draw(st.integers(0, rate)) == 0:
        return draw(json_values)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if draw(st.integers(0, rate * 2)) == 0:
                continue  # a field left out
            out[key] = draw(mutated(item, rate))
        return out
    if isinstance(value, list):
        items = [draw(mutated(item, rate)) for item in value]
        return items if draw(st.integers(0, rate)) else items[:1] * draw(st.integers(0, 3))
    return value
