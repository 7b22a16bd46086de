"""Process-wide Prometheus counters fed from the MQTT paths (line-level hooks).

Figures read from the database (orders by state, devices, outbox, step durations) are
collected at scrape time by hub/entrypoints/api/metrics.py instead.
"""

from __future__ import annotations

from prometheus_client import Counter

MQTT_RECEIVED = Counter("fulfil_mqtt_messages_received", "Device messages the hub received",
                        ["type"])
MQTT_PUBLISHED = Counter("fulfil_mqtt_messages_published",
                         "Messages the hub published (commands, acks, errors)", ["kind"])
