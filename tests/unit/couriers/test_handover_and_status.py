"""Scan-out check against the manifest, and courier tracking events to timeline states."""

from __future__ import annotations

import pytest

from hub.domain.handover import check_scan_out
from hub.domain.tracking_status import TrackingStatus, map_status

M = ["RB123456785GB", "RB000000015GB", "RB000000029GB"]


@pytest.mark.parametrize(("scanned", "missing", "extra", "repeated"), [
    (M, [], [], []),
    (M[:2], [M[2]], [], []),
    ([*M, "JD0002242617644732"], [], ["JD0002242617644732"], []),
    ([M[0], "rb 1234 5678 5gb", M[1]], [M[2]], [], [M[0]]),
    ([], M, [], []),
])
def test_scan_out(scanned: list[str], missing: list[str], extra: list[str],
                  repeated: list[str]) -> None:
    check = check_scan_out(M, scanned)
    assert (list(check.missing), list(check.extra), list(check.repeated)) == (
        missing, extra, repeated)
    assert check.complete is (not missing and not extra)


@pytest.mark.parametrize(("courier", "code", "words", "status"), [
    ("dhl", "OK", "", TrackingStatus.DELIVERED),
    ("dhl", "WC", "", TrackingStatus.OUT_FOR_DELIVERY),
    ("dhl", "PU", "", TrackingStatus.IN_TRANSIT),
    ("ups", "D", "", TrackingStatus.DELIVERED),
    ("ups", "X", "", TrackingStatus.EXCEPTION),
    ("royalmail", "IN TRANSIT", "", TrackingStatus.IN_TRANSIT),
    ("easypost", "out_for_delivery", "", TrackingStatus.OUT_FOR_DELIVERY),
    ("royalmail", "EVKSP", "Delivered", TrackingStatus.DELIVERED),
    ("dpd", "13", "Out for delivery today", TrackingStatus.OUT_FOR_DELIVERY),
    ("dpd", "99", "Parcel damaged", TrackingStatus.EXCEPTION),
    ("dpd", "01", "At hub", TrackingStatus.IN_TRANSIT),
])
def test_status_mapping(courier: str, code: str, words: str, status: TrackingStatus) -> None:
    assert map_status(courier, code, words) is status
