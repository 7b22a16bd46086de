"""Step 13 and 15 over the HTTP API: end-of-day manifest, scan-out with missing and extra
parcels, tracking by webhook and by poll, label download and reprint, packing slip."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub.adapters.embedded_broker import free_port
from hub.bootstrap import Hub
from hub.entrypoints.api.app import create_app
from hub.entrypoints.api.server import ApiServer
from hub.service_layer.api_keys import create_key
from tests.integration.couriers.conftest import sample
from tests.integration.couriers.flow import pick_and_pack, timeline
from tests.integration.couriers.replay import ReplayServer
from tests.integration.couriers.test_booking_faults import SAMPLE_PDF, ClickAndDropState, install

RM_TRACKING = sample("courier_royalmail_tracking_api_v2_mailpieces_events_response.json")


@pytest.fixture
def api(hub: Hub, server: ReplayServer) -> Iterator[httpx.Client]:
    state = ClickAndDropState(seed=1, timeout_share=0.0)
    install(server, state)
    server.on("POST", "/manifests", (201, {"manifestNumber": 1001,
                                           "documentPdf": base64.b64encode(SAMPLE_PDF).decode()}))

    def tracking(seen: Any) -> tuple[int, Any]:
        document = copy.deepcopy(RM_TRACKING)
        document["mailPieces"]["summary"]["oneDBarcode"] = seen.path.split("/")[3]
        return 200, document

    server.on("GET", r"/mailpieces/v2/[A-Z0-9]+/events", tracking)
    api_server = ApiServer(create_app(hub), "127.0.0.1", free_port())
    api_server.start()
    with hub.uow() as uow:
        key = create_key(uow, hub.ctx, "ops key", ["ops"])
    with httpx.Client(base_url=api_server.url, headers={"X-API-Key": key}, timeout=20) as c:
        yield c
    api_server.stop()


def shipment(hub: Hub, order_id: str) -> Any:
    with hub.uow() as uow:
        found = uow.repo.shipment_for_order(order_id)
        assert found is not None
        return found


def test_manifest_scan_out_dispatch_and_tracking(hub: Hub, api: httpx.Client) -> None:
    orders = [pick_and_pack(hub, f"H-{i}", "MUG", 1, 400.0) for i in range(3)]
    numbers = [shipment(hub, o).tracking_number for o in orders]

    manifest = api.post("/manifests", json={"courier": "royalmail"})
    assert manifest.status_code == 201, manifest.text
    body = manifest.json()
    assert body["reference"] == "1001" and body["parcels"] == 3
    assert body["missing"] == numbers and body["complete"] is False
    again = api.post("/manifests", json={"courier": "royalmail"})
    assert again.status_code == 409 and "no royalmail parcels" in again.json()["detail"]

    manifest_id = body["id"]
    scan = api.post(f"/manifests/{manifest_id}/scans", json={"barcode": numbers[0].lower()})
    assert scan.json()["last"] == {"barcode": numbers[0], "on_manifest": True}
    api.post(f"/manifests/{manifest_id}/scans", json={"barcode": numbers[1]})
    stray = api.post(f"/manifests/{manifest_id}/scans", json={"barcode": "JD0002242617644732"})
    assert stray.json()["last"]["on_manifest"] is False
    view = api.get(f"/manifests/{manifest_id}").json()
    assert (view["missing"], view["extra"]) == ([numbers[2]], ["JD0002242617644732"])
    refused = api.post(f"/manifests/{manifest_id}/dispatch", json={})
    assert refused.status_code == 409
    assert numbers[2] in refused.json()["detail"] and "JD0002242617644732" in \
        refused.json()["detail"]
    api.post(f"/manifests/{manifest_id}/scans", json={"barcode": numbers[2]})
    forced = api.post(f"/manifests/{manifest_id}/dispatch", json={"force": True}).json()
    assert forced["status"] == "closed" and forced["forced"] is True
    assert all("handed_over" in timeline(hub, o) for o in orders)
    closed = api.post(f"/manifests/{manifest_id}/scans", json={"barcode": numbers[0]})
    assert closed.status_code == 409

    # step 15: a webhook says the first is delivered (twice: recorded once), one unknown
    hook = {"courier": "royalmail", "events": [
        {"tracking_number": numbers[0], "code": "EVKSP", "description": "Delivered",
         "at": "2026-11-27T10:00:00+00:00"},
        {"tracking_number": "RB000000000GB", "code": "EVKSP", "description": "Delivered"}]}
    assert api.post("/tracking/events", json=hook).json() == {"recorded": 1, "unknown": 1}
    assert api.post("/tracking/events", json=hook).json() == {"recorded": 0, "unknown": 1}
    delivered = timeline(hub, orders[0])["delivered"]
    assert delivered.details["status"] == "delivered" and delivered.actor == "royalmail"
    # the rest are polled; the delivered one is not asked about again
    polled = api.post("/tracking/poll", params={"courier": "royalmail"}).json()
    assert (polled["polled"], polled["recorded"], polled["failed"]) == (2, 2, {})
    in_transit = timeline(hub, orders[1])["tracking_in_transit"]
    assert in_transit.details["code"] == "EVNMI" and in_transit.details["location"] == \
        "Stafford DO"


def test_labels_reprint_and_packing_slip(hub: Hub, api: httpx.Client) -> None:
    order_id = pick_and_pack(hub, "L-1", "MUG", 1, 400.0)
    found = shipment(hub, order_id)
    original = api.get(f"/shipments/{found.id}/label")
    assert original.headers["content-type"] == "application/pdf"
    assert original.content == SAMPLE_PDF
    escpos = api.get(f"/shipments/{found.id}/label",
                     params={"language": "escpos", "width_dots": 384})
    at = escpos.content.index(b"\x1dv0")
    assert escpos.content[at + 4] == 384 // 8
    assert api.get(f"/shipments/{found.id}/label",
                   params={"language": "zpl"}).content.startswith(b"^XA^PW576")
    assert api.get("/shipments/shp_nope/label").status_code == 404

    no_bench = api.post(f"/shipments/{found.id}/reprint")
    assert no_bench.status_code == 409 and "no pack bench" in no_bench.json()["detail"]
    with hub.uow() as uow:
        order = uow.repo.get_order(order_id)
        assert order is not None
        order.pack_device_id = "bench-1"
        uow.commit()
    reprint = api.post(f"/shipments/{found.id}/reprint")
    assert reprint.status_code == 202
    with hub.uow() as uow:
        queued = [r for r in uow.repo.pending_outbox(100) if r.order_id == order_id
                  and "print_label" in r.topic]
    assert len(queued) == 2  # the first label and the reprint
    assert any(reprint.json()["command_id"] in r.payload for r in queued)

    slip = api.get(f"/orders/{order_id}/packing-slip", params={"width": 32})
    assert slip.status_code == 200 and found.tracking_number in slip.text
    assert "MUG" in slip.text
