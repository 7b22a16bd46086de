"""Hub replicas split events and health through a shared subscription; retained status
topics stay unshared so every replica still receives the births."""

from __future__ import annotations

import pytest

from edge.wire import topics


def test_without_a_group_the_hub_takes_everything() -> None:
    assert topics.hub_subscriptions("leeds") == [
        "fulfil/leeds/+/status", "fulfil/leeds/+/peripheral/+/status",
        "fulfil/leeds/+/health", "fulfil/leeds/+/evt/+"]


def test_a_group_shares_events_and_health_only() -> None:
    assert topics.hub_subscriptions("leeds", "hub") == [
        "fulfil/leeds/+/status", "fulfil/leeds/+/peripheral/+/status",
        "$share/hub/fulfil/leeds/+/health", "$share/hub/fulfil/leeds/+/evt/+"]


@pytest.mark.parametrize("group", ["", "a/b", "+", "#"])
def test_a_group_that_would_break_the_filter_is_refused(group: str) -> None:
    with pytest.raises(ValueError, match="share group"):
        topics.shared("fulfil/leeds/+/evt/+", group)
