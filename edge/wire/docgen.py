"""Render mqtt_topics.md from the code, so the spec and the contract cannot drift apart.

``python -m edge.wire.docgen > mqtt_topics.md`` rewrites it; a test fails when they differ.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from edge.wire import messages as m
from edge.wire.codec import encode
from edge.wire.schema import all_models, field_summary
from edge.wire.topics import SPECS, device_subscriptions, hub_subscriptions

HEADER = """# MQTT topics

The contract between the hub and the edge agents. This file is generated from `edge/wire/`
(`python -m edge.wire.docgen > mqtt_topics.md`); `tests/unit/wire/test_topic_doc.py` fails when
the two disagree.

- MQTT 3.1.1 (the embedded broker and Mosquitto both speak it); JSON payloads, UTF-8.
- Every payload carries the envelope: `v` (schema version, now 1), `msg_id` (unique),
  `device_id` (sender; `hub` for the hub), `ts` (ISO 8601, UTC), `boot_id` (one per process
  start), `seq` (per sender and boot), and `type` (the model name below).
- Events are never retained; state (`status`, peripheral status) is retained.
- Edge events stay in the device's on-disk outbox until the hub's `ack` names their `msg_id`;
  resends carry `replay: true` and the same `msg_id`; the hub handles each `msg_id` once.
- A message the hub cannot accept (bad JSON, unknown type, wrong schema version, missing or
  invalid field, or an event that refers to unknown work) is answered with an `error` message
  on the device's error topic; nothing of it is applied.
- Commands carry `command_id` and `expires_at`; devices answer with a `command_ack` event.
"""

EXAMPLE_ENVELOPE = {"device_id": "zone-a", "boot_id": "3f2a9c0d", "seq": 42,
                    "msg_id": "5b0c1e7f9a2d4c6e8f1a3b5c7d9e0f12",
                    "ts": datetime(2026, 1, 5, 9, 30, tzinfo=UTC)}


def _examples() -> dict[str, m.Envelope]:
    env = EXAMPLE_ENVELOPE
    hub = {**env, "device_id": "hub"}
    cmd = {"command_id": "cmd_tsk_1", "expires_at": datetime(2026, 1, 5, 10, 30, tzinfo=UTC)}
    return {
        "status": m.DeviceStatus(**env, state="online", bdseq=3, role="pick_zone", zone="A",
                                 locations=["A01-01-A", "A01-02-A"], version="0.1.0",
                                 peripherals={"scanner": "ok", "lights": "ok"}),
        "peripheral_status": m.PeripheralStatus(**env, peripheral="scanner", kind="scanner",
                                                state="ok"),
        "health": m.Health(**env, uptime_s=3600.5, outbox_depth=0,
                           peripherals={"scanner": "ok"}),
        "pick_confirmed": m.PickConfirmed(**env, task_id="tsk_1", pick_id="pk_1",
                                          order_id="ord_1", sku="MUG-WHT", location="A01-01-A",
                                          qty=1, method="scan"),
        "pick_short": m.PickShort(**env, task_id="tsk_1", pick_id="pk_1", order_id="ord_1",
                                  sku="MUG-WHT", location="A01-01-A", qty_picked=1,
                                  qty_short=1),
        "scan_rejected": m.ScanRejected(**env, context="pick", barcode="5012345678917",
                                        reason="wrong_item", order_id="ord_1",
                                        task_id="tsk_1"),
        "pack_verified": m.PackVerified(**{**env, "device_id": "bench-1"}, order_id="ord_1",
                                        lines=[m.PackedLine(sku="MUG-WHT", qty=1)],
                                        weight_g=492.0, expected_g=490.0, tolerance_g=20.0),
        "weight_mismatch": m.WeightMismatch(**{**env, "device_id": "bench-1"},
                                            order_id="ord_1", weight_g=640.0, expected_g=490.0,
                                            tolerance_g=20.0),
        "label_printed": m.LabelPrinted(**{**env, "device_id": "bench-1"}, order_id="ord_1",
                                        shipment_id="shp_1", tracking_number="VV000000011GB"),
        "return_scanned": m.ReturnScanned(**{**env, "device_id": "bench-1"},
                                          rma="RMA-7K2QX9PM"),
        "command_ack": m.CommandAck(**env, command_id="cmd_tsk_1", status="done"),
        "ack": m.Ack(**hub, msg_ids=["5b0c1e7f9a2d4c6e8f1a3b5c7d9e0f12"]),
        "error": m.ErrorEvent(**hub, ref_msg_id="5b0c1e7f9a2d4c6e8f1a3b5c7d9e0f12",
                              ref_topic="fulfil/demo/zone-a/evt/pick_confirmed",
                              code="invalid", reason="qty: Input should be greater than 0"),
        "pick_task": m.PickTask(**hub, **cmd, task_id="tsk_1", order_id="ord_1", colour="green",
                                picks=[m.PickLine(pick_id="pk_1", location="A01-01-A",
                                                  sku="MUG-WHT", barcode="5012345678900",
                                                  qty=1)]),
        "cancel_task": m.CancelTask(**hub, **cmd, task_id="tsk_1"),
        "pack_job": m.PackJob(**hub, **{**cmd, "command_id": "pack_ord_1"}, order_id="ord_1",
                              order_ref="ord_1",
                              lines=[m.PackLine(sku="MUG-WHT", barcode="5012345678900", qty=1,
                                                unit_weight_g=340.0)], packaging_g=150.0),
        "print_label": m.PrintLabel(**hub, **{**cmd, "command_id": "label_shp_1"},
                                    order_id="ord_1", shipment_id="shp_1",
                                    label=m.LabelData(order_ref="ord_1",
                                                      ship_to=["Ada Lovelace", "London",
                                                               "SW1Y 4JH", "GB"],
                                                      courier="manual", service="standard",
                                                      tracking_number="VV000000011GB",
                                                      weight_g=492.0, qr="VV000000011GB"),
                                    courier_label=m.CourierLabel.of(
                                        "zpl", b"^XA^FO50,50^A0N,50,50^FDVV000000011GB^FS^XZ",
                                        812)),
        "apply_profile": m.ApplyProfile(
            **hub, **{**cmd, "command_id": "profile_scale_3"}, peripheral="scale",
            profile="mettler-toledo-8217", version="3",
            content={"kind": "scale", "vendor": "Mettler Toledo", "model": "PS60 / 8217 mode",
                     "dialect": "toledo_8217", "unit": "lb", "min_change_g": 5.0}),
    }


def render() -> str:
    out = [HEADER, "## Topics\n", "| topic | direction | QoS | retained | payload | purpose |",
           "|---|---|---|---|---|---|"]
    for spec in SPECS:
        out.append(f"| `{spec.pattern}` | {spec.direction.value} | {spec.qos} | "
                   f"{'yes' if spec.retained else 'no'} | {spec.payload} | {spec.purpose} |")
    out.append("\nThe hub subscribes to " + ", ".join(f"`{t}`" for t in hub_subscriptions(
        "{site}")) + "; a device to " + ", ".join(f"`{t}`" for t in device_subscriptions(
        "{site}", "{device_id}")) + ".\n")
    out.append("## Payloads\n")
    examples = _examples()
    for name, model in all_models().items():
        out.append(f"### `{name}` ({model.__name__})\n")
        doc = (model.__doc__ or "").strip().splitlines()
        if doc:
            out.append(" ".join(line.strip() for line in doc if line.strip()) + "\n")
        out.append("| field | type | required |\n|---|---|---|")
        for field, kind, required in field_summary(name):
            out.append(f"| `{field}` | {kind} | {'yes' if required else 'no'} |")
        example = json.dumps(json.loads(encode(examples[name])), indent=2)
        out.append(f"\nExample:\n```json\n{example}\n```\n")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
