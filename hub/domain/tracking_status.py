"""Courier tracking events mapped to the four states the timeline shows."""

from __future__ import annotations

from enum import StrEnum


class TrackingStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


# Courier event codes / categories whose meaning is documented by the courier.
_BY_COURIER: dict[str, dict[str, TrackingStatus]] = {
    # DHL Express typeCode
    "dhl": {"OK": TrackingStatus.DELIVERED, "WC": TrackingStatus.OUT_FOR_DELIVERY,
            "PU": TrackingStatus.IN_TRANSIT, "PL": TrackingStatus.IN_TRANSIT,
            "DF": TrackingStatus.IN_TRANSIT, "AF": TrackingStatus.IN_TRANSIT,
            "AR": TrackingStatus.IN_TRANSIT, "CC": TrackingStatus.IN_TRANSIT,
            "NH": TrackingStatus.EXCEPTION, "RT": TrackingStatus.EXCEPTION,
            "CA": TrackingStatus.EXCEPTION, "OH": TrackingStatus.EXCEPTION,
            "delivered": TrackingStatus.DELIVERED, "transit": TrackingStatus.IN_TRANSIT,
            "failure": TrackingStatus.EXCEPTION},
    # UPS status type: D delivered, I in transit, X exception, P pickup, M manifest, O out
    "ups": {"D": TrackingStatus.DELIVERED, "I": TrackingStatus.IN_TRANSIT,
            "P": TrackingStatus.IN_TRANSIT, "M": TrackingStatus.IN_TRANSIT,
            "X": TrackingStatus.EXCEPTION, "O": TrackingStatus.OUT_FOR_DELIVERY,
            "RS": TrackingStatus.EXCEPTION},
    # Royal Mail statusCategory
    "royalmail": {"IN TRANSIT": TrackingStatus.IN_TRANSIT,
                  "OUT FOR DELIVERY": TrackingStatus.OUT_FOR_DELIVERY,
                  "DELIVERED": TrackingStatus.DELIVERED,
                  "RETURNED TO SENDER": TrackingStatus.EXCEPTION,
                  "ISSUE": TrackingStatus.EXCEPTION},
    # EasyPost tracker status
    "easypost": {"pre_transit": TrackingStatus.IN_TRANSIT,
                 "in_transit": TrackingStatus.IN_TRANSIT,
                 "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
                 "delivered": TrackingStatus.DELIVERED,
                 "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
                 "return_to_sender": TrackingStatus.EXCEPTION,
                 "failure": TrackingStatus.EXCEPTION, "error": TrackingStatus.EXCEPTION},
}

_WORDS = (("out for delivery", TrackingStatus.OUT_FOR_DELIVERY),
          ("with courier", TrackingStatus.OUT_FOR_DELIVERY),
          ("delivered", TrackingStatus.DELIVERED),
          ("exception", TrackingStatus.EXCEPTION), ("failed", TrackingStatus.EXCEPTION),
          ("returned", TrackingStatus.EXCEPTION), ("damaged", TrackingStatus.EXCEPTION))


def map_status(courier: str, code: str, description: str = "") -> TrackingStatus:
    """The timeline state of one courier event: by its documented code, else by its words,
    else in transit (a scan the hub doesn't know is still movement)."""
    table = _BY_COURIER.get(courier, {})
    if code in table:
        return table[code]
    if code.upper() in table:
        return table[code.upper()]
    text = description.lower()
    for words, status in _WORDS:
        if words in text:
            return status
    return TrackingStatus.IN_TRANSIT
